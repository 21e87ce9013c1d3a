// ui.vert: the wall's 2D batch (display/draw.c). Canvas pixels -> clip space.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_color;
layout(location = 3) in vec4 a_param;
layout(location = 4) in vec2 a_param2;

uniform vec2 u_scale;
uniform vec2 u_offset;

out vec2 v_uv;
out vec4 v_color;
flat out vec4 v_param;
flat out vec2 v_param2;

void main()
{
    v_uv = a_uv;
    v_color = a_color;
    v_param = a_param;
    v_param2 = a_param2;
    gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
}
