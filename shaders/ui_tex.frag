// ui_tex.frag: glyphs and images (display/draw.c, DRAW_GLYPH / DRAW_IMAGE). Glyph atlas pages
// are R8 textures swizzled to (1, 1, 1, coverage), so both are colour x texel.
in vec2 v_uv;
in vec4 v_color;
flat in vec4 v_param;
flat in vec2 v_param2;

uniform sampler2D u_tex;

out vec4 o_color;

void main()
{
    o_color = v_color * texture(u_tex, v_uv);
}
