package filterpattern

import (
	"strconv"
	"unsafe"
)

type evalKind uint8

const (
	evalAnd evalKind = iota + 1
	evalOr
	evalTest // one condition
	evalSet  // one or more "$.x = literal" conditions of one || on the same selector
)

// evalNode is a pattern's expression compiled against a Program's slots.
type evalNode struct {
	kind evalKind
	wild bool // the selector has a wildcard
	kids []evalNode
	slot int32
	test *test
	set  literalSet
}

// literalSet is a set of exact literals compared with one selector's value,
// as a bitset over the ids the Program gives that selector's literals. The
// value is looked up among all literals of its selector once per record;
// then each "=" test and each set costs a bit test. CIS patterns compare
// $.eventName with up to 16 literals, and 12 of the 14 patterns read it.
type literalSet []uint64

func (s literalSet) has(id int32) bool {
	return id >= 0 && int(id>>6) < len(s) && s[id>>6]&(1<<(id&63)) != 0
}

func (s *literalSet) add(id int32) {
	for int(id>>6) >= len(*s) {
		*s = append(*s, 0)
	}
	(*s)[id>>6] |= 1 << (id & 63)
}

// evalBuilder compiles pattern expressions for a Program.
type evalBuilder struct {
	slotOf   map[string]int32
	literals []map[string]int32 // per slot: literal → id
}

func (b *evalBuilder) build(n Node) evalNode {
	switch n := n.(type) {
	case *Paren:
		return b.build(n.X)
	case *And:
		e := evalNode{kind: evalAnd}
		for _, t := range n.Terms {
			e.kids = append(e.kids, b.build(t))
		}
		return e
	case *Or:
		e := evalNode{kind: evalOr}
		for _, t := range n.Terms {
			e.kids = append(e.kids, b.build(t))
		}
		e.kids = mergeSets(e.kids)
		if len(e.kids) == 1 {
			return e.kids[0]
		}
		return e
	case *Condition:
		slot := b.slotOf[n.Selector.Path()]
		t := n.test
		if t.op == OpEqual && !t.numeric && t.text.kind == matchExact {
			var set literalSet
			set.add(b.literalID(slot, t.text.exact))
			return evalNode{kind: evalSet, wild: t.wildcard, slot: slot, set: set}
		}
		return evalNode{kind: evalTest, slot: slot, test: t}
	}
	panic("filterpattern: unknown node type")
}

func (b *evalBuilder) literalID(slot int32, lit string) int32 {
	m := b.literals[slot]
	if m == nil {
		m = map[string]int32{}
		b.literals[slot] = m
	}
	id, ok := m[lit]
	if !ok {
		id = int32(len(m))
		m[lit] = id
	}
	return id
}

// mergeSets unites the sets of one || that read the same selector.
func mergeSets(kids []evalNode) []evalNode {
	first := map[int32]int{} // slot → index in out of its set
	var out []evalNode
	for _, k := range kids {
		if k.kind != evalSet {
			out = append(out, k)
			continue
		}
		i, ok := first[k.slot]
		if !ok {
			first[k.slot] = len(out)
			k.set = append(literalSet(nil), k.set...)
			out = append(out, k)
			continue
		}
		for w, bits := range k.set {
			for len(out[i].set) <= w {
				out[i].set = append(out[i].set, 0)
			}
			out[i].set[w] |= bits
		}
	}
	return out
}

// Eval reports whether the pattern matches the record last given to
// d.Reset. p must be one of the patterns d's Program was compiled from. It
// reports false when the last Reset failed; the empty pattern matches any
// record Reset accepted.
func (p *Pattern) Eval(d *Doc) bool {
	if !d.ok {
		return false
	}
	if p.root == nil {
		return true
	}
	pats := d.prog.patterns
	i := d.hint
	if i >= len(pats) {
		i = 0 // the next record, evaluated in the same order
	}
	if pats[i] != p {
		i = d.indexOf(p, i)
	}
	d.hint = i + 1
	n := &d.prog.evals[i]
	if n.kind == evalSet && !n.wild { // the shape of most CIS patterns, inline
		id := d.litID[n.slot]
		if d.litGen[n.slot] != d.gen {
			id = d.literal(n.slot)
		}
		return n.set.has(id)
	}
	return d.eval(n)
}

// indexOf returns the index of p among the Program's patterns. Callers
// that skip patterns still go forward, so the search starts at the hint.
func (d *Doc) indexOf(p *Pattern, hint int) int {
	pats := d.prog.patterns
	for j := hint; j < len(pats) && j < hint+8; j++ {
		if pats[j] == p {
			return j
		}
	}
	i, ok := d.prog.index[p]
	if !ok {
		panic("filterpattern: Eval of a pattern that is not part of the Doc's Program: " + p.src)
	}
	return i
}

// evalAt evaluates the Program's i-th pattern.
func (d *Doc) evalAt(i int) bool {
	return d.ok && (d.prog.patterns[i].root == nil || d.eval(&d.prog.evals[i]))
}

func (d *Doc) eval(n *evalNode) bool {
	switch n.kind {
	case evalAnd:
		for i := range n.kids {
			if !d.eval(&n.kids[i]) {
				return false
			}
		}
		return true
	case evalOr:
		for i := range n.kids {
			if d.eval(&n.kids[i]) {
				return true
			}
		}
		return false
	case evalSet:
		if !n.wild {
			id := d.litID[n.slot]
			if d.litGen[n.slot] != d.gen {
				id = d.literal(n.slot)
			}
			return n.set.has(id)
		}
		for c := d.head[n.slot]; c >= 0; c = d.caps[c].next {
			if cp := &d.caps[c]; cp.flags&capDead == 0 && n.set.has(d.literalOf(n.slot, cp)) {
				return true
			}
		}
		return false
	default:
		return d.evalTest(n.test, n.slot)
	}
}

// evalTest applies a condition to the values its selector selected: it
// holds if any of them satisfies it (one at most without a wildcard), and
// NOT EXISTS holds if there is none.
func (d *Doc) evalTest(t *test, slot int32) bool {
	for c := d.head[slot]; c >= 0; c = d.caps[c].next {
		cp := &d.caps[c]
		if cp.flags&capDead != 0 {
			continue
		}
		if t.op == OpNotExists {
			return false
		}
		if d.satisfies(t, cp) {
			return true
		}
	}
	return t.op == OpNotExists
}

// satisfies applies a comparison to one selected value. Only strings and
// numbers are value nodes; null, booleans, objects and arrays satisfy no
// comparison, not even != (CloudWatch Logs: "If a property selector points
// to an array or object, the filter pattern won't match").
func (d *Doc) satisfies(t *test, cp *capture) bool {
	switch t.op {
	case OpIsNull:
		return cp.kind == kindNull
	case OpIsTrue:
		return cp.kind == kindTrue
	case OpIsFalse:
		return cp.kind == kindFalse
	case OpEqual, OpNotEqual:
		var eq bool
		switch {
		case cp.kind == kindNumber && t.numeric:
			eq = d.numberOf(cp) == t.num
		case cp.kind == kindString || cp.kind == kindNumber:
			eq = t.text.match(d.textOf(cp))
		default:
			return false
		}
		return eq == (t.op == OpEqual)
	default: // relational: numbers only
		if cp.kind != kindNumber {
			return false
		}
		x := d.numberOf(cp)
		switch t.op {
		case OpLess:
			return x < t.num
		case OpLessEqual:
			return x <= t.num
		case OpGreater:
			return x > t.num
		default:
			return x >= t.num
		}
	}
}

// literal returns the id of the literal that the value of a selector
// without wildcards equals, or -1; it is computed once per record.
func (d *Doc) literal(slot int32) int32 {
	id := int32(-1)
	for c := d.head[slot]; c >= 0; c = d.caps[c].next {
		if cp := &d.caps[c]; cp.flags&capDead == 0 {
			id = d.literalOf(slot, cp)
			break // the only live value: without wildcards, repeated keys leave one
		}
	}
	d.litGen[slot], d.litID[slot] = d.gen, id
	return id
}

// literalOf returns the id of the literal a captured value equals, or -1.
// Only strings and numbers (by their text) equal a literal.
func (d *Doc) literalOf(slot int32, cp *capture) int32 {
	if cp.kind != kindString && cp.kind != kindNumber {
		return -1
	}
	return d.prog.literals[slot].find(d.textOf(cp))
}

// textOf returns a string's unescaped contents or a number's original text.
func (d *Doc) textOf(cp *capture) []byte {
	if cp.flags&capEscaped == 0 {
		return d.rec[cp.start:cp.end]
	}
	if cp.flags&capUnescaped == 0 {
		start := len(d.text)
		d.text, _ = appendUnescaped(d.text, d.rec[cp.start:cp.end]) // checked by scanString
		cp.ustart, cp.uend = int32(start), int32(len(d.text))
		cp.flags |= capUnescaped
	}
	return d.text[cp.ustart:cp.uend]
}

func (d *Doc) numberOf(cp *capture) float64 {
	if cp.flags&capParsed == 0 {
		raw := d.rec[cp.start:cp.end]
		// Out-of-range numbers become ±Inf, as in encoding/json's
		// json.Number.Float64 callers; the syntax was checked by scanNumber.
		cp.num, _ = strconv.ParseFloat(unsafe.String(&raw[0], len(raw)), 64)
		cp.flags |= capParsed
	}
	return cp.num
}
