#include "iot/export/text.hpp"

#include <pango/pangocairo.h>

#include <climits>

namespace iot::exporter {

TextPainter::TextPainter(cairo_t* cr)
    : m_cr(cr), m_layout(pango_cairo_create_layout(cr)), m_font(pango_font_description_new()) {
  // "sans-serif" as fontconfig resolves it; characters that font lacks are
  // drawn from the next installed font that has them.
  pango_font_description_set_family(m_font, "sans-serif");
  font(10);
}

TextPainter::~TextPainter() {
  pango_font_description_free(m_font);
  g_object_unref(m_layout);
}

void TextPainter::font(double size, bool bold) {
  // Absolute size: in user units like cairo_set_font_size, whatever the
  // resolution Pango assumes for the surface.
  pango_font_description_set_absolute_size(m_font, size * PANGO_SCALE);
  pango_font_description_set_weight(m_font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(m_layout, m_font);
}

void TextPainter::set_text(std::string_view text) {
  pango_layout_set_text(m_layout, text.data(), text.size() > INT_MAX ? INT_MAX : static_cast<int>(text.size()));
}

double TextPainter::width(std::string_view text) {
  set_text(text);
  int w = 0, h = 0;
  pango_layout_get_size(m_layout, &w, &h);
  return static_cast<double>(w) / PANGO_SCALE;
}

void TextPainter::show(double x, double y, std::string_view text, double align, double max_width) {
  double w = align != 0 ? width(text) : (set_text(text), 0.0);
  if (max_width > 0) {
    pango_layout_set_width(m_layout, static_cast<int>(max_width * PANGO_SCALE));
    pango_layout_set_ellipsize(m_layout, PANGO_ELLIPSIZE_END);
  }
  // The layout is placed by its top-left corner; callers give the baseline.
  double baseline = static_cast<double>(pango_layout_get_baseline(m_layout)) / PANGO_SCALE;
  pango_cairo_update_layout(m_cr, m_layout);
  cairo_move_to(m_cr, x - w * align, y - baseline);
  pango_cairo_show_layout(m_cr, m_layout);
  if (max_width > 0) {
    pango_layout_set_width(m_layout, -1);
    pango_layout_set_ellipsize(m_layout, PANGO_ELLIPSIZE_NONE);
  }
}

} // namespace iot::exporter
