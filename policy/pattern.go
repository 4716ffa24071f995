package policy

import (
	"strings"
)

// segKind is the kind of one path segment of a route pattern.
type segKind uint8

const (
	segLiteral segKind = iota // a literal segment, unescaped
	segSingle                 // {name}: one non-empty segment
	segMulti                  // {name...} or a trailing slash: the rest of the path
	segEnd                    // {$}: the trailing slash only
)

// segment is one path segment of a route pattern.
type segment struct {
	kind segKind
	name string // literal text, or wildcard name ("" for a trailing slash)
}

// pattern is a route pattern taken apart. ServeMux does the matching; the
// policy needs the parts to validate rules and to read wildcard values.
type pattern struct {
	str    string // as given, and as ServeMux.Handler returns it
	method string // "" for any
	host   string // "" for any
	path   string // from the first '/'
	segs   []segment
}

// parsePattern takes apart s, which ServeMux has accepted, the way
// ServeMux's own parser does (net/http/pattern.go).
func parsePattern(s string) pattern {
	p := pattern{str: s}
	rest := s
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		p.method, rest = s[:i], strings.TrimLeft(s[i+1:], " \t")
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 { // unreachable for accepted patterns
		return p
	}
	p.host, p.path = rest[:i], rest[i:]
	rest = p.path
	for len(rest) > 0 {
		rest = rest[1:]
		if rest == "" {
			p.segs = append(p.segs, segment{kind: segMulti})
			break
		}
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			j = len(rest)
		}
		var seg string
		seg, rest = rest[:j], rest[j:]
		if !strings.HasPrefix(seg, "{") {
			p.segs = append(p.segs, segment{kind: segLiteral, name: pathUnescape(seg)})
			continue
		}
		name := strings.TrimSuffix(seg[1:], "}")
		switch {
		case name == "$":
			p.segs = append(p.segs, segment{kind: segEnd})
		case strings.HasSuffix(name, "..."):
			p.segs = append(p.segs, segment{kind: segMulti, name: strings.TrimSuffix(name, "...")})
		default:
			p.segs = append(p.segs, segment{kind: segSingle, name: name})
		}
	}
	return p
}

// wildcards returns the names of p's named wildcards, in order.
func (p *pattern) wildcards() []string {
	var names []string
	for _, s := range p.segs {
		if (s.kind == segSingle || s.kind == segMulti) && s.name != "" {
			names = append(names, s.name)
		}
	}
	return names
}

// index returns the position in p.segs of the wildcard name, or -1.
func (p *pattern) index(name string) int {
	for i, s := range p.segs {
		if (s.kind == segSingle || s.kind == segMulti) && s.name == name {
			return i
		}
	}
	return -1
}

// isCatchAll reports whether p matches every request: "/" or "/{x...}"
// without method or host.
func (p *pattern) isCatchAll() bool {
	return p.method == "" && p.host == "" && p.matchesEveryPath()
}

// matchesEveryPath reports whether p matches every path of its method and
// host: its path is "/" or "/{x...}".
func (p *pattern) matchesEveryPath() bool {
	return len(p.segs) == 1 && p.segs[0].kind == segMulti
}

// allWildcards reports whether p has no literal segment and a wildcard:
// "/{page}", "/{a}/{b}/", "/{a}/{rest...}" match every path of their
// depth (or more), whatever its names.
func (p *pattern) allWildcards() bool {
	wild := false
	for _, s := range p.segs {
		switch s.kind {
		case segLiteral:
			return false
		case segSingle, segMulti:
			wild = true
		}
	}
	return wild
}

// namesDir reports whether p, having matched a path of n segments plus a
// trailing slash, matched it as a directory named by its own fixed
// segments: p ends in a trailing slash, "{$}" or "{x...}" after exactly n
// segments, so the final wildcard matched nothing.
func (p *pattern) namesDir(n int) bool {
	k := len(p.segs)
	if k < 2 || k-1 != n {
		return false
	}
	last := p.segs[k-1].kind
	return last == segMulti || last == segEnd
}

// dirKey says which paths a pattern that names a directory could name:
// those of n segments whose first segment is first ("" for a wildcard).
type dirKey struct {
	n     int
	first string
}

// dirKey returns p's dirKey, and whether p names a directory at all: it
// ends in a trailing slash, "{$}" or "{x...}" after a fixed part.
func (p *pattern) dirKey() (dirKey, bool) {
	k := len(p.segs)
	if k < 2 || p.segs[k-1].kind != segMulti && p.segs[k-1].kind != segEnd {
		return dirKey{}, false
	}
	d := dirKey{n: k - 1}
	if p.segs[0].kind == segLiteral {
		d.first = p.segs[0].name
	}
	return d, true
}

// mayNameDir reports whether some pattern of dirs could name the clean,
// escaped path (no trailing slash) as a directory. It is a filter that
// spares most requests the directory twin's lookup; it never says no to
// a path that one of them names.
func mayNameDir(dirs []dirKey, path string) bool {
	if len(dirs) == 0 {
		return false
	}
	n := strings.Count(path, "/")
	first := path[1:]
	if j := strings.IndexByte(first, '/'); j >= 0 {
		first = first[:j]
	}
	escaped := strings.IndexByte(first, '%') >= 0
	for _, d := range dirs {
		if d.n == n && (d.first == "" || escaped || d.first == first) {
			return true
		}
	}
	return false
}

// extract stores in vals[k] the raw (still escaped) text that the wildcard
// at segment index idx[k] of p matched in path, for every k. path is the
// escaped, clean path that ServeMux matched to p, or that path without the
// trailing slash that ServeMux would redirect to; wildcards past its end
// get "".
func (p *pattern) extract(path string, idx []int, vals []string) {
	if len(idx) == 0 {
		return
	}
	si := 0 // segment index
	for si < len(p.segs) && len(path) > 0 {
		seg := p.segs[si]
		var text string
		switch seg.kind {
		case segMulti:
			text, path = path[1:], ""
		case segEnd:
			path = ""
		default:
			rest := path[1:]
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				j = len(rest)
			}
			text, path = rest[:j], rest[j:]
		}
		for k, want := range idx {
			if want == si {
				vals[k] = text
			}
		}
		si++
	}
}
