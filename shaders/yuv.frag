// yuv.frag: I420 planes (three R8 textures) to RGB, BT.601 limited range (what x264 and the
// decoders hand over for SD/HD camera streams).
in vec2 v_uv;

uniform sampler2D u_y;
uniform sampler2D u_u;
uniform sampler2D u_v;
uniform float u_alpha;

out vec4 o_color;

void main()
{
    float y = 1.16438 * (texture(u_y, v_uv).r - 0.0625);
    float u = texture(u_u, v_uv).r - 0.5;
    float v = texture(u_v, v_uv).r - 0.5;
    vec3 rgb = vec3(y + 1.59603 * v,
                    y - 0.39176 * u - 0.81297 * v,
                    y + 2.01723 * u);
    o_color = vec4(clamp(rgb, 0.0, 1.0), u_alpha);
}
