module github.com/chordtui/chordtui

go 1.26.0
