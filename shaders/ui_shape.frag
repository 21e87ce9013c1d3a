// ui_shape.frag: fills and anti-aliased shapes from distance functions (display/draw.c);
// v_param.x is the mode: 0 fill, 3 disc/ring, 4 glow, 5 line, 6 rounded rectangle.
in vec2 v_uv;
in vec4 v_color;
flat in vec4 v_param;
flat in vec2 v_param2;

out vec4 o_color;

void main()
{
    int mode = int(v_param.x + 0.5);
    float a = 1.0;
    if (mode == 0) {
        o_color = v_color;
        return;
    }
    if (mode == 3) {            // disc, or ring when v_param.y (inner radius) > 0
        float dist = length(v_uv);
        float aa = v_param.z;
        a = clamp((1.0 - dist) / aa + 0.5, 0.0, 1.0);
        if (v_param.y > 0.0) a *= clamp((dist - v_param.y) / aa + 0.5, 0.0, 1.0);
    } else if (mode == 4) {     // soft glow: (1 - r)^2
        float k = max(0.0, 1.0 - length(v_uv));
        a = k * k;
    } else if (mode == 5) {     // line: v_uv.y = px across
        a = clamp(v_param.y + 0.5 - abs(v_uv.y), 0.0, 1.0);
    } else {                    // rounded rectangle (fill, or border of v_param2.x px)
        vec2 q = abs(v_uv) - (v_param.yz - vec2(v_param.w));
        float sdf = length(max(q, 0.0)) + min(max(q.x, q.y), 0.0) - v_param.w;
        a = clamp(0.5 - sdf, 0.0, 1.0);
        if (v_param2.x > 0.0) a *= clamp(sdf + v_param2.x + 0.5, 0.0, 1.0);
    }
    o_color = vec4(v_color.rgb, v_color.a * a);
}
