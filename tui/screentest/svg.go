package screentest

import (
	"fmt"
	"image/color"
	"strings"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
)

// SVG draws a w×h terminal screen as an SVG picture, cell by cell: screen
// is what the terminal shows, lines apart by "\n" with SGR colour and
// attribute sequences (a program's View, or `tmux capture-pane -e -p`). It
// writes one background rectangle per run of cells in one style and one
// text element per run, stretched to the run's exact width so that the
// grid holds in whatever monospace font the viewer has. The background is
// dark, as the README shows it.
func SVG(screen string, w, h int) string {
	// The screen holds no terminal queries, so the emulator never answers
	// and needs no reader.
	emu := vt.NewEmulator(w, h)
	_, _ = emu.Write([]byte(strings.ReplaceAll(strings.TrimRight(screen, "\n"), "\n", "\r\n")))
	const cw, ch, fs = 8.4, 18.0, 14.0
	bg, fg := color.RGBA{0x1c, 0x1c, 0x1c, 0xff}, color.RGBA{0xd0, 0xd0, 0xd0, 0xff}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n",
		cw*float64(w)+16, ch*float64(h)+16, cw*float64(w)+16, ch*float64(h)+16)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" rx="6" fill="%s"/>`+"\n", hexColor(bg))
	b.WriteString(`<g transform="translate(8 8)" font-family="'DejaVu Sans Mono','Menlo','Consolas',monospace" font-size="14" xml:space="preserve">` + "\n")
	for y := 0; y < h; y++ {
		x := 0
		for x < w {
			c := emu.CellAt(x, y)
			st := cellStyle(c)
			text := cellText(c)
			x0 := x
			x++
			for x < w {
				n := emu.CellAt(x, y)
				if cellStyle(n) != st {
					break
				}
				text += cellText(n)
				x++
			}
			f, bk := fg, color.Color(nil)
			if st.fg != nil {
				f = toRGBA(st.fg)
			}
			if st.bg != nil {
				bk = st.bg
			}
			if st.attrs&uv.AttrReverse != 0 {
				f, bk = bg, color.Color(f)
				if st.bg != nil {
					f = toRGBA(st.bg)
				}
			}
			if bk != nil {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
					cw*float64(x0), ch*float64(y), cw*float64(x-x0), ch, hexColor(toRGBA(bk)))
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			attrs := ""
			if st.attrs&uv.AttrBold != 0 {
				attrs += ` font-weight="bold"`
			}
			if st.underline {
				attrs += ` text-decoration="underline"`
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" textLength="%.1f" lengthAdjust="spacingAndGlyphs"%s>%s</text>`+"\n",
				cw*float64(x0), ch*float64(y)+fs, hexColor(f), cw*float64(x-x0), attrs, xmlEscape(text))
		}
	}
	b.WriteString("</g>\n</svg>\n")
	return b.String()
}

type svgStyle struct {
	fg, bg    color.Color
	attrs     uint8
	underline bool
}

func cellStyle(c *uv.Cell) svgStyle {
	if c == nil {
		return svgStyle{}
	}
	return svgStyle{fg: c.Style.Fg, bg: c.Style.Bg, attrs: c.Style.Attrs, underline: c.Style.Underline != 0}
}

func cellText(c *uv.Cell) string {
	if c == nil || c.Content == "" {
		return " "
	}
	return c.Content
}

func toRGBA(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
