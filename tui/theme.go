package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// styleID names one of the theme's styles; canvas cells carry one.
type styleID uint8

const (
	stNone        styleID = iota
	stDim                 // ring, secondary text
	stSucc                // a successor pointer on the ring
	stText                // ordinary text
	stBold                // headings
	stAlive               // alive marker
	stDown                // down marker, wrong pointers
	stPaused              // paused marker
	stWarn                // reconverging, not-ideal pointers
	stOK                  // stable
	stKey                 // key ticks
	stFinger              // the selected node's finger chords
	stPath                // lookup path
	stSelected            // the selected node's marker and label
	stOrigin              // the origin's label
	stTitle               // the status bar
	stFocus               // a focused pane's border
	stReverse             // the selected row
	stSideA               // side A of a partition
	stSideB               // side B of a partition
	stFailed              // a lookup call that failed
	stNarration           // a lesson's narration
	stMarked              // the nodes of the selected violation
	stChanged             // a pointer the last step changed
	stChangedLine         // the same on the ring's canvas (no underline under dots)
	stCount               // number of styles
)

// theme holds the rendered styles for one background (light or dark).
type theme struct {
	styles [stCount]lipgloss.Style
}

// newTheme builds the styles for a dark or light background. Colour is only
// ever a second cue: every state also has a symbol or a word.
func newTheme(dark bool) *theme {
	ld := lipgloss.LightDark(dark)
	c := func(light, darkc string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(darkc)) }
	t := &theme{}
	s := lipgloss.NewStyle
	t.styles[stNone] = s()
	t.styles[stDim] = s().Foreground(c("#8a8a8a", "#6c6c6c"))
	t.styles[stText] = s()
	t.styles[stBold] = s().Bold(true)
	t.styles[stAlive] = s().Foreground(c("#007a3d", "#5fd787"))
	t.styles[stDown] = s().Foreground(c("#c00000", "#ff5f5f")).Bold(true)
	t.styles[stPaused] = s().Foreground(c("#8a5a00", "#ffaf00")).Bold(true)
	t.styles[stWarn] = s().Foreground(c("#8a5a00", "#ffd75f"))
	t.styles[stOK] = s().Foreground(c("#007a3d", "#5fd787")).Bold(true)
	t.styles[stKey] = s().Foreground(c("#0055aa", "#5fafff"))
	t.styles[stFinger] = s().Foreground(c("#007c8a", "#5fd7d7"))
	t.styles[stPath] = s().Foreground(c("#a0008a", "#ff87ff")).Bold(true)
	t.styles[stSelected] = s().Foreground(c("#000000", "#ffffff")).Bold(true).Underline(true)
	t.styles[stOrigin] = s().Foreground(c("#a0008a", "#ff87ff")).Bold(true)
	t.styles[stTitle] = s().Bold(true).Reverse(true)
	t.styles[stFocus] = s().Foreground(c("#007c8a", "#5fd7d7")).Bold(true)
	t.styles[stReverse] = s().Reverse(true)
	t.styles[stSideA] = s().Foreground(c("#005fd7", "#87afff")).Bold(true)
	t.styles[stSideB] = s().Foreground(c("#af3f00", "#ff875f")).Bold(true)
	t.styles[stFailed] = s().Foreground(c("#c00000", "#ff5f5f"))
	t.styles[stSucc] = s().Foreground(c("#5f5f87", "#8787af"))
	t.styles[stNarration] = s().Foreground(c("#004f7a", "#afd7ff")).Italic(true)
	t.styles[stMarked] = s().Foreground(c("#8a5a00", "#ffd75f")).Bold(true).Reverse(true)
	t.styles[stChanged] = s().Foreground(c("#a05000", "#ffaf5f")).Bold(true).Underline(true)
	t.styles[stChangedLine] = s().Foreground(c("#a05000", "#ffaf5f")).Bold(true)
	return t
}

// render styles str with style id.
func (t *theme) render(id styleID, str string) string {
	if id == stNone || str == "" {
		return str
	}
	return t.styles[id].Render(str)
}
