#!/usr/bin/python3
"""The configs of `scripts/run-demo --province` (docs/cluster.md, "Province cascade"), written
into OUT_DIR from config/demo.yaml:

- city1.yaml: the demo city 临海市 as it is, with a `cluster` section (its own NATS, JetStream
  domain linhai, stream CW_LINHAI);
- city2.yaml: a second Taizhou county, 黄岩区: the same 20 halls renamed HY-xx (names 黄岩…),
  their locations mapped from 临海's bounding box into 黄岩区's (from assets/map/taizhou.geojson),
  its own NATS (domain huangyan, stream CW_HUANGYAN) and `city.map` the 黄岩区 outline;
- huangyan.geojson: that outline, extracted from taizhou.geojson;
- province.yaml: every hall of both, the demo credentials, a `cluster` section that sources both
  cities' streams, and a `province` section (台州市: 临海市 and 黄岩区).

    scripts/province-demo-configs.py OUT_DIR NATS_CITY1 NATS_CITY2 NATS_PROVINCE
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def top_blocks(text):
    """{top-level key: its text (the key line to the next top-level key)}, in order."""
    out, key, buf = {}, None, []
    for line in text.splitlines(keepends=True):
        m = re.match(r"^([a-z_]+):", line)
        if m:
            if key:
                out[key] = "".join(buf)
            key, buf = m.group(1), [line]
        elif key:
            buf.append(line)
    if key:
        out[key] = "".join(buf)
    return out


def bbox(coords):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for x in c:
                walk(x)
    walk(coords)
    return min(xs), min(ys), max(xs), max(ys)


def main():
    out, n1, n2, np_ = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    demo = open(os.path.join(ROOT, "config", "demo.yaml"), encoding="utf-8").read()
    demo = demo.replace("../assets/map/", os.path.join(ROOT, "assets", "map") + "/")
    tz = json.load(open(os.path.join(ROOT, "assets", "map", "taizhou.geojson"), encoding="utf-8"))
    feat = {f["properties"]["name"]: f for f in tz["features"]}
    lh = bbox(feat["临海市"]["geometry"]["coordinates"])
    hy = bbox(feat["黄岩区"]["geometry"]["coordinates"])
    hy_map = os.path.join(out, "huangyan.geojson")
    with open(hy_map, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": [feat["黄岩区"]]}, f,
                  ensure_ascii=False, separators=(",", ":"))

    def cluster(url, stream, extra=""):
        return ("cluster:\n  nats: [%s]\n  stream: %s\n  subject: cw.%s.log\n  replicas: 1\n%s"
                % (url, stream, stream.lower(), extra))

    # city 1: the demo as it is
    with open(os.path.join(out, "city1.yaml"), "w", encoding="utf-8") as f:
        f.write(demo + "\n" + cluster(n1, "CW_LINHAI"))

    # city 2: the halls renamed and moved into 黄岩区
    def move(m):
        lat, lng = float(m.group(1)), float(m.group(2))
        # into the middle 60 % of 黄岩区's box: its outline is not a rectangle
        fx = 0.2 + 0.6 * (lng - lh[0]) / (lh[2] - lh[0])
        fy = 0.2 + 0.6 * (lat - lh[1]) / (lh[3] - lh[1])
        x = hy[0] + fx * (hy[2] - hy[0])
        y = hy[1] + fy * (hy[3] - hy[1])
        return "location: {lat: %.4f, lng: %.4f}" % (y, x)
    c2 = demo.replace("LH-", "HY-").replace("lh03", "hy03").replace("临海", "黄岩")
    c2 = re.sub(r"location: \{lat: ([0-9.]+), lng: ([0-9.]+)\}", move, c2)
    c2 = c2.replace('code: "331082"', 'code: "331003"')
    c2 = re.sub(r"map: \S+", "map: " + hy_map, c2, count=1)
    blocks2 = top_blocks(c2)
    blocks2.pop("walls", None)
    with open(os.path.join(out, "city2.yaml"), "w", encoding="utf-8") as f:
        f.write("".join(blocks2.values()) + "\n" + cluster(n2, "CW_HUANGYAN"))

    # the province: every hall, both cities' streams sourced
    b1 = top_blocks(demo)
    halls2 = blocks2["halls"].split("\n", 1)[1]  # the items, without "halls:"
    city = b1["city"].replace("name: 临海市", "name: 台州市").replace('code: "331082"',
                                                                   'code: "331000"')
    city = re.sub(r"map: \S+", "map: " + os.path.join(ROOT, "assets", "map", "taizhou.geojson"),
                  city, count=1)
    tokens = b1["tokens"]  # the cities' records carry demo-hall (the sims) and operator
    ids1 = re.findall(r"^  - id: (LH-\d+)", b1["halls"], re.M)
    ids2 = re.findall(r"^  - id: (HY-\d+)", blocks2["halls"], re.M)
    prov = "".join([b1["server"], city, b1["halls"].rstrip("\n") + "\n" + halls2,
                    b1["accounts"], tokens, b1["lexicon"], b1["webhooks"], b1["alerts"]])
    prov += "\n" + cluster(np_, "CW_PROVINCE",
                           "  sources: [{stream: CW_LINHAI, domain: linhai}, "
                           "{stream: CW_HUANGYAN, domain: huangyan}]\n")
    prov += ("province:\n  name: 台州市\n  cities:\n"
             "    - {id: linhai, name: 临海市, halls: [%s]}\n"
             "    - {id: huangyan, name: 黄岩区, halls: [%s]}\n"
             % (", ".join(ids1), ", ".join(ids2)))
    with open(os.path.join(out, "province.yaml"), "w", encoding="utf-8") as f:
        f.write(prov)


if __name__ == "__main__":
    main()
