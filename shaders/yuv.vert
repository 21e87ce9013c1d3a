// yuv.vert: one camera tile (display/panel_cameras.c). Canvas pixels -> clip space.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;

uniform vec2 u_scale;
uniform vec2 u_offset;

out vec2 v_uv;

void main()
{
    v_uv = a_uv;
    gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
}
