#pragma once
// Text on a cairo surface through Pango, for charts and reports. cairo's own
// text calls draw every glyph from the one font they select (DejaVu Sans), so a
// device named 燃气表 came out as empty boxes; Pango asks fontconfig for a font
// per character and falls back to any installed font that has the glyph (a CJK
// font such as WenQuanYi Micro Hei for Chinese).
#include <string_view>

struct _cairo;                // cairo_t
struct _PangoLayout;          // PangoLayout
struct _PangoFontDescription; // PangoFontDescription

namespace iot::exporter {

class TextPainter {
public:
  explicit TextPainter(_cairo* cr);
  ~TextPainter();
  TextPainter(const TextPainter&) = delete;
  TextPainter& operator=(const TextPainter&) = delete;

  // The font of the next calls: the sans-serif family at `size` user units.
  void font(double size, bool bold = false);
  // The advance width of `text` in user units.
  double width(std::string_view text);
  // Draws `text` with its baseline at `y`; `align` 0 puts its left end at `x`,
  // 0.5 its middle, 1 its right end. Uses the current source colour. With
  // `max_width` > 0 (left aligned) text longer than that ends in an ellipsis.
  void show(double x, double y, std::string_view text, double align = 0, double max_width = 0);

private:
  void set_text(std::string_view text);
  _cairo* m_cr;
  _PangoLayout* m_layout;
  _PangoFontDescription* m_font;
};

} // namespace iot::exporter
