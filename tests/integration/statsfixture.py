"""statsfixture: the hand-computed statistics fixture shared by test_stats*.py (docs/statistics.md).

Two halls, LH-03 (江南街道) and LH-00 (市行政服务中心), the ISO week 2026-W41 (Mon 10-05 ..
Sun 10-11). 10-05..10-07 are 国庆 holidays, Thu 10-08 and Fri 10-09 are working days, Sat 10-10
is a 调休 make-up working day (Monday's hours: 08:30-17:00, lunch 12:00-13:30), Sun 10-11 is off.
Both halls use windows A01, A02 (biz A) and B01 (biz B). Bad-review cases must be rectified
within 2 working days (the config edit below), so deadlines fall across the 调休 weekend.

Every ticket is issued at 09:00 + 15 min x i, called after its wait W, and finished after its
service S (the call is the service start: no ticket.started).

LH-03 (staff: A01 W2031 程琳, A02 W2032 曹阳, B01 W2033 袁媛)
  biz A: day 10-08: 4 tickets, W 10 min; 10-09: 8 tickets, W 20 min; 10-10: 2 tickets, W 30 min.
         even i at A01 (S 6 min), odd i at A02 (S 10 min); i = 3 finishes `supplement`, the
         others `done`; even i kiosk, odd i wechat.
  biz B: 2 tickets a day, W 5 min, S 15 min, at B01, appointment, done.
  A900 on 10-09: issued 11:30 kiosk, called at A01 11:40 (W 10 min), no_show skip 11:45.
LH-00 (staff: A01 W1001 张丽, A02 W1002 王芳, B01 W1007 赵敏)
  biz A: 10 tickets a day, W 8 min; even i at A01 (S 5), odd i at A02 (S 7); i = 9 supplement;
         even i kiosk, odd i wechat.
  biz B: 5 tickets a day, W 12 min, S 9 min, at B01, online, done.
  B900 on 10-10: issued 10:00 online, called at B01 10:10, no_show recycle 10:12, called again
         10:30 (its W becomes 30 min: the last call counts), finished 10:39 done (S 9 min).
Windows: every window opens 08:30 (its staff), pauses for lunch 12:00, resumes 13:30, closes
  17:00 on each of the three working days -- except LH-03 B01 on 10-10: opens 08:30, closes
  12:00 (no lunch pause).
Reviews (window and staff named):
  LH-03 10-08: R1 5 A01; R2 4 A02; R3 1 A02 15:00 real-name -> due: 1st working day after
        10-08 is 10-09, 2nd is 10-10 (调休) -> 10-10 17:00. R3 contacted 10-09 10:00, closed
        10-10 16:00 (on time).
  LH-03 10-09: R4 2 A01 15:00 real-name -> due: 10-10 (1st), 10-11 Sunday off, 10-12 Mon (2nd)
        -> 10-12 17:00. R4 contacted 10-10 09:00, closed 10-12 10:00 (on time). R5 5 B01.
  LH-03 10-10: R6 3 A01; R7 1 B01 11:00 -> appealed 12:00, appeal_upheld 14:00 (removed).
  LH-00 10-08: R10 2 A01 16:00 not real-name -> due 10-10 17:00; closed 10-12 09:00 (late),
        never contacted.
  LH-00 10-09: R11 5 A02; R12 4 A01.   LH-00 10-10: R13 4 B01.
  September (the month before, for the 约谈 rule), Tue 2026-09-15 10:00:
        LH-03: W2031 5, W2032 2, W2033 4;  LH-00: W1001 5, W1002 3, W1007 4.
"""

import cwtest

DAYS = ["2026-10-08", "2026-10-09", "2026-10-10"]
CONFIG_EDITS = [("cases: {contact_days: 1, rectify_days: 15}",
                 "cases: {contact_days: 1, rectify_days: 2}")]
STATS_SECTION = "\nstats: {rank_by: score, bottom_n: 1, bottom_months: 2}\n"
STAFF = {"LH-03": {"A01": "W2031", "A02": "W2032", "B01": "W2033"},
         "LH-00": {"A01": "W1001", "A02": "W1002", "B01": "W1007"}}


def hm(minutes):
    """Minutes since midnight -> 'HH:MM'."""
    return "%02d:%02d" % (minutes // 60, minutes % 60)


def t(day, minutes):
    return cwtest.at(hm(minutes), day)


def ticket(out, hall, day, tid, biz, channel, win, issued, wait, service, result="done"):
    st = STAFF[hall][win]
    out.append((hall, "ticket.issued", t(day, issued),
                dict(ticket=tid, biz=biz, channel=channel, priority="normal")))
    out.append((hall, "ticket.called", t(day, issued + wait), dict(ticket=tid, window=win,
                                                                    staff=st)))
    out.append((hall, "ticket.finished", t(day, issued + wait + service),
                dict(ticket=tid, window=win, result=result)))


def review(out, hall, when, rid, level, win, real_name=False):
    out.append((hall, "review.submitted", when,
                dict(review=rid, level=level, channel="evaluator", window=win,
                     staff=STAFF[hall][win], real_name=real_name)))


def case(out, hall, when, rid, state):
    out.append((hall, "review.case", when, dict(review=rid, state=state)))


def events():
    """Every event of the fixture, in time order, with per-hall seqs."""
    out = []
    lh03_a = {DAYS[0]: (4, 10), DAYS[1]: (8, 20), DAYS[2]: (2, 30)}  # (tickets, W minutes)
    for day in DAYS:
        for hall in ("LH-03", "LH-00"):
            for win in ("A01", "A02", "B01"):
                st = STAFF[hall][win]
                out.append((hall, "window.opened", t(day, 510), dict(window=win, staff=st)))
                if hall == "LH-03" and win == "B01" and day == DAYS[2]:
                    out.append((hall, "window.closed", t(day, 720), dict(window=win)))
                    continue
                out.append((hall, "window.paused", t(day, 720), dict(window=win, reason="lunch")))
                out.append((hall, "window.resumed", t(day, 810), dict(window=win)))
                out.append((hall, "window.closed", t(day, 1020), dict(window=win)))
        n, wait = lh03_a[day]
        for i in range(n):
            win, svc = ("A01", 6) if i % 2 == 0 else ("A02", 10)
            ticket(out, "LH-03", day, "A%03d" % (i + 1), "A", "kiosk" if i % 2 == 0 else "wechat",
                   win, 540 + 15 * i, wait, svc, "supplement" if i == 3 else "done")
        for i in range(2):
            ticket(out, "LH-03", day, "B%03d" % (i + 1), "B", "appointment", "B01", 540 + 15 * i,
                   5, 15)
        for i in range(10):
            win, svc = ("A01", 5) if i % 2 == 0 else ("A02", 7)
            ticket(out, "LH-00", day, "A%03d" % (i + 1), "A", "kiosk" if i % 2 == 0 else "wechat",
                   win, 540 + 15 * i, 8, svc, "supplement" if i == 9 else "done")
        for i in range(5):
            ticket(out, "LH-00", day, "B%03d" % (i + 1), "B", "online", "B01", 540 + 15 * i, 12, 9)
    d1, d2 = DAYS[1], DAYS[2]
    out += [("LH-03", "ticket.issued", t(d1, 690),
             dict(ticket="A900", biz="A", channel="kiosk", priority="normal")),
            ("LH-03", "ticket.called", t(d1, 700), dict(ticket="A900", window="A01",
                                                          staff="W2031")),
            ("LH-03", "ticket.no_show", t(d1, 705), dict(ticket="A900", window="A01",
                                                           action="skip")),
            ("LH-00", "ticket.issued", t(d2, 600),
             dict(ticket="B900", biz="B", channel="online", priority="normal")),
            ("LH-00", "ticket.called", t(d2, 610), dict(ticket="B900", window="B01",
                                                          staff="W1007")),
            ("LH-00", "ticket.no_show", t(d2, 612), dict(ticket="B900", window="B01",
                                                           action="recycle")),
            ("LH-00", "ticket.called", t(d2, 630), dict(ticket="B900", window="B01",
                                                          staff="W1007")),
            ("LH-00", "ticket.finished", t(d2, 639), dict(ticket="B900", window="B01",
                                                            result="done"))]
    d0 = DAYS[0]
    review(out, "LH-03", t(d0, 600), "R1", 5, "A01")
    review(out, "LH-03", t(d0, 610), "R2", 4, "A02")
    review(out, "LH-03", t(d0, 900), "R3", 1, "A02", real_name=True)
    case(out, "LH-03", t(d1, 600), "R3", "contacted")
    case(out, "LH-03", t(d2, 960), "R3", "closed")
    review(out, "LH-03", t(d1, 900), "R4", 2, "A01", real_name=True)
    case(out, "LH-03", t(d2, 540), "R4", "contacted")
    case(out, "LH-03", t("2026-10-12", 600), "R4", "closed")
    review(out, "LH-03", t(d1, 910), "R5", 5, "B01")
    review(out, "LH-03", t(d2, 600), "R6", 3, "A01")
    review(out, "LH-03", t(d2, 660), "R7", 1, "B01")
    case(out, "LH-03", t(d2, 720), "R7", "appealed")
    case(out, "LH-03", t(d2, 840), "R7", "appeal_upheld")
    review(out, "LH-00", t(d0, 960), "R10", 2, "A01")
    case(out, "LH-00", t("2026-10-12", 540), "R10", "closed")
    review(out, "LH-00", t(d1, 600), "R11", 5, "A02")
    review(out, "LH-00", t(d1, 610), "R12", 4, "A01")
    review(out, "LH-00", t(d2, 600), "R13", 4, "B01")
    sep = "2026-09-15"
    for hall, levels in (("LH-03", (5, 2, 4)), ("LH-00", (5, 3, 4))):
        for win, level in zip(("A01", "A02", "B01"), levels):
            review(out, hall, t(sep, 600), "S-%s-%s" % (hall, win), level, win)
    out.sort(key=lambda e: e[2])  # stable: same-instant events keep their order above
    seqs = {}
    result = []
    for hall, type_, when, data in out:
        seqs[hall] = seqs.get(hall, 0) + 1
        result.append(cwtest.ev(hall, seqs[hall], type_, when, **data))
    return result


def start_hub(extra_args=()):
    """A hub on the edited demo config, its clock after the fixture, the fixture ingested."""
    h = cwtest.Hub(start=False, clock="2026-10-13T20:00:00+08:00@1", extra_args=extra_args)
    try:
        path = cwtest.write_config(h, CONFIG_EDITS)
        with open(path, "a", encoding="utf-8") as f:
            f.write(STATS_SECTION)
        h.start()
        evs = events()
        for i in range(0, len(evs), 100):
            h.ingest(evs[i:i + 100])
    except BaseException:
        h.close()
        raise
    return h
