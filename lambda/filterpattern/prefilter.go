package filterpattern

// A prefilter spares a caller the evaluation of patterns that cannot match
// a record. Most patterns require one selector's value to be one of a set of
// literals (an "=" test, a "||" of them, or such a test inside an "&&");
// the value's literal id, looked up once per record for all patterns that
// compare that selector, then names the few patterns worth evaluating.
type prefilter struct {
	words int        // of a bitset over the Program's patterns
	free  []uint64   // the patterns without such a requirement
	slots []slotNeed // the selectors some pattern requires a literal of
}

// slotNeed lists, for one selector, the patterns that require one of its
// literals, by literal id.
type slotNeed struct {
	slot  int32
	byLit [][]uint64 // per literal id, the patterns that accept it
}

// need returns the set of literals of one slot that n requires its value to
// be among, if it has one.
func need(n *evalNode) (slot int32, set literalSet, ok bool) {
	switch n.kind {
	case evalSet:
		return n.slot, n.set, !n.wild
	case evalAnd:
		for i := range n.kids {
			if slot, set, ok := need(&n.kids[i]); ok {
				return slot, set, true
			}
		}
	case evalOr:
		for i := range n.kids {
			s, set2, ok := need(&n.kids[i])
			if !ok || i > 0 && s != slot {
				return 0, nil, false
			}
			slot = s
			set = set.union(set2)
		}
		return slot, set, len(n.kids) > 0
	}
	return 0, nil, false
}

func (s literalSet) union(t literalSet) literalSet {
	out := append(literalSet(nil), s...)
	for w, bits := range t {
		for len(out) <= w {
			out = append(out, 0)
		}
		out[w] |= bits
	}
	return out
}

func (prog *Program) buildPrefilter() {
	pf := prefilter{words: (len(prog.patterns) + 63) / 64}
	pf.free = make([]uint64, pf.words)
	index := map[int32]int{}
	for i := range prog.patterns {
		slot, set, ok := need(&prog.evals[i])
		if prog.patterns[i].root == nil || !ok {
			pf.free[i>>6] |= 1 << (i & 63)
			continue
		}
		k, seen := index[slot]
		if !seen {
			k = len(pf.slots)
			index[slot] = k
			pf.slots = append(pf.slots, slotNeed{slot: slot, byLit: make([][]uint64, len(prog.literals[slot].names))})
		}
		for id := range pf.slots[k].byLit {
			if set.has(int32(id)) {
				if pf.slots[k].byLit[id] == nil {
					pf.slots[k].byLit[id] = make([]uint64, pf.words)
				}
				pf.slots[k].byLit[id][i>>6] |= 1 << (i & 63)
			}
		}
	}
	prog.pre = pf
}

// Candidates returns in dst (reused when it has room) a bitset over the
// Program's patterns, in the order Compile received them: bit i is clear
// when pattern i does not match the record last given to Reset, and set
// when it may. Evaluating only the patterns whose bit is set gives the
// same results as evaluating them all, at the cost of a few lookups per
// record however many patterns there are.
func (d *Doc) Candidates(dst []uint64) []uint64 {
	pf := &d.prog.pre
	if cap(dst) < pf.words {
		dst = make([]uint64, pf.words)
	}
	dst = dst[:pf.words]
	if !d.ok {
		clear(dst)
		return dst
	}
	copy(dst, pf.free)
	for k := range pf.slots {
		sn := &pf.slots[k]
		id := d.litID[sn.slot]
		if d.litGen[sn.slot] != d.gen {
			id = d.literal(sn.slot)
		}
		if id >= 0 && int(id) < len(sn.byLit) {
			for w, bits := range sn.byLit[id] {
				dst[w] |= bits
			}
		}
	}
	return dst
}
