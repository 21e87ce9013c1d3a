// ui_solid.frag: flat and gradient fills (display/draw.c, DRAW_SOLID).
in vec2 v_uv;
in vec4 v_color;
flat in vec4 v_param;
flat in vec2 v_param2;

out vec4 o_color;

void main()
{
    o_color = v_color;
}
