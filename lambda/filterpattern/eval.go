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
	evalSet  // several "$.x = literal" conditions of one || on the same selector
)

// evalNode is a pattern's expression compiled against a Program's slots.
type evalNode struct {
	kind evalKind
	kids []evalNode
	slot int32
	test *test
	set  *textSet
}

// textSet is the set of exact literals of merged "=" conditions.
type textSet struct {
	list []string // when few
	m    map[string]struct{}
}

func (s *textSet) contains(text []byte) bool {
	if s.m != nil {
		_, ok := s.m[string(text)]
		return ok
	}
	for _, lit := range s.list {
		if lit == string(text) {
			return true
		}
	}
	return false
}

func buildEval(n Node, slotOf map[string]int32) evalNode {
	switch n := n.(type) {
	case *Paren:
		return buildEval(n.X, slotOf)
	case *And:
		e := evalNode{kind: evalAnd}
		for _, t := range n.Terms {
			e.kids = append(e.kids, buildEval(t, slotOf))
		}
		return e
	case *Or:
		e := evalNode{kind: evalOr}
		for _, t := range n.Terms {
			e.kids = append(e.kids, buildEval(t, slotOf))
		}
		e.kids = mergeEqualities(e.kids)
		if len(e.kids) == 1 {
			return e.kids[0]
		}
		return e
	case *Condition:
		return evalNode{kind: evalTest, slot: slotOf[n.Selector.Path()], test: n.test}
	}
	panic("filterpattern: unknown node type")
}

// mergeEqualities replaces the exact-text "=" tests of one || that read the
// same selector by a single set lookup: CIS patterns list up to 16 event
// names for $.eventName.
func mergeEqualities(kids []evalNode) []evalNode {
	bySlot := map[int32][]int{}
	for i, k := range kids {
		if isExactEquality(k) {
			bySlot[k.slot] = append(bySlot[k.slot], i)
		}
	}
	var out []evalNode
	for i, k := range kids {
		if !isExactEquality(k) || len(bySlot[k.slot]) < 2 {
			out = append(out, k)
			continue
		}
		members := bySlot[k.slot]
		if members[0] != i {
			continue // merged into the set at the first member
		}
		set := &textSet{}
		for _, j := range members {
			set.list = append(set.list, kids[j].test.text.exact)
		}
		if len(set.list) > linearNames {
			set.m = make(map[string]struct{}, len(set.list))
			for _, lit := range set.list {
				set.m[lit] = struct{}{}
			}
		}
		out = append(out, evalNode{kind: evalSet, slot: k.slot, set: set})
	}
	return out
}

func isExactEquality(n evalNode) bool {
	return n.kind == evalTest && n.test.op == OpEqual && !n.test.numeric && n.test.text.kind == matchExact
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
	if i >= len(pats) || pats[i] != p {
		var ok bool
		if i, ok = d.prog.index[p]; !ok {
			panic("filterpattern: Eval of a pattern that is not part of the Doc's Program: " + p.src)
		}
	}
	d.hint = i + 1
	return d.eval(&d.prog.evals[i])
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
		for c := d.head[n.slot]; c >= 0; c = d.caps[c].next {
			cp := &d.caps[c]
			if cp.flags&capDead == 0 && (cp.kind == kindString || cp.kind == kindNumber) && n.set.contains(d.textOf(cp)) {
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
