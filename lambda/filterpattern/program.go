package filterpattern

import (
	"slices"
	"strconv"
	"strings"
)

// Program is a set of patterns compiled for evaluation over many records:
// the selector paths of all of them are merged into one automaton, so that
// Doc.Reset reads each record once, whatever the number of patterns. A
// Program is immutable and safe for concurrent use; each goroutine needs
// its own Doc.
type Program struct {
	patterns []*Pattern
	index    map[*Pattern]int
	evals    []evalNode // the compiled expression of patterns[i]
	root     *state
	paths    []string    // the selector path captured in each slot
	literals []nameTable // per slot: the exact literals compared with it; a literal's id is its index
	pre      prefilter
}

// state is a state of the automaton that Doc.Reset follows through a
// record: the set of selector-trie nodes a JSON value is reached by.
// Member and index transitions lead to the states of the value's children;
// children without a transition are skipped unread.
type state struct {
	slots     []int32   // selector paths that end here: the value is captured for each
	names     nameTable // named member transitions
	next      []*state  // the state of each name
	anyMember *state    // .*: every member not named (named ones include it)
	indexes   []indexEdge
	anyIndex  *state // [*]
}

type indexEdge struct {
	index int
	next  *state
}

func (s *state) object() bool { return len(s.next) > 0 || s.anyMember != nil }
func (s *state) array() bool  { return len(s.indexes) > 0 || s.anyIndex != nil }

// member returns the state of the member named key, or nil to skip it.
func (s *state) member(key []byte) *state {
	if i := s.names.find(key); i >= 0 {
		return s.next[i]
	}
	return s.anyMember
}

// nameTable finds a key among a fixed set of names. Most keys of a record
// are not wanted: a one-word bloom filter over the first byte and the
// length rejects most of them with one test; the others are looked up by
// open addressing on a hash of the length and three bytes.
type nameTable struct {
	names  []string
	filter uint64
	table  []int32 // index+1, 0 = empty; at most a quarter full
	empty  int32   // the index of "", or -1
}

func newNameTable(names []string) nameTable {
	t := nameTable{names: names, empty: -1}
	if len(names) == 0 {
		return t
	}
	size := 8
	for size < 4*len(names) {
		size *= 2
	}
	t.table = make([]int32, size)
	mask := uint32(size - 1)
	for i, name := range names {
		if name == "" {
			t.empty = int32(i)
			continue
		}
		t.filter |= filterBit([]byte(name))
		h := nameHash([]byte(name)) & mask
		for t.table[h] != 0 {
			h = (h + 1) & mask
		}
		t.table[h] = int32(i + 1)
	}
	return t
}

// find returns the index of key among the names, or -1.
func (t *nameTable) find(key []byte) int32 {
	if len(key) == 0 {
		return t.empty
	}
	if t.filter&filterBit(key) == 0 {
		return -1
	}
	mask := uint32(len(t.table) - 1)
	for h := nameHash(key) & mask; ; h = (h + 1) & mask {
		k := t.table[h]
		if k == 0 {
			return -1
		}
		if t.names[k-1] == string(key) {
			return k - 1
		}
	}
}

// filterBit selects the bit of nameTable.filter for a non-empty key.
func filterBit(key []byte) uint64 {
	return 1 << ((uint(key[0]) ^ uint(len(key))*5) & 63)
}

// nameHash mixes a non-empty key's length and its first, middle and last
// bytes.
func nameHash(key []byte) uint32 {
	n := len(key)
	h := uint32(n) | uint32(key[0])<<8 | uint32(key[n/2])<<16 | uint32(key[n-1])<<24
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	return h
}

// element returns the state of array element i, or nil to skip it.
func (s *state) element(i int) *state {
	for j := range s.indexes {
		if s.indexes[j].index == i {
			return s.indexes[j].next
		}
	}
	return s.anyIndex
}

// Compile merges the selector paths of the patterns into one Program. The
// patterns may then be evaluated with Eval on any Doc of the Program.
func Compile(patterns ...*Pattern) *Program {
	prog := &Program{
		patterns: slices.Clone(patterns),
		index:    make(map[*Pattern]int, len(patterns)),
	}
	slotOf := map[string]int32{}
	trie := &trieNode{slot: -1}
	nodes := []*trieNode{trie}
	for i, p := range patterns {
		if _, dup := prog.index[p]; !dup {
			prog.index[p] = i
		}
		Walk(p.root, func(n Node) {
			c, ok := n.(*Condition)
			if !ok {
				return
			}
			path := c.Selector.Path()
			if _, ok := slotOf[path]; ok {
				return
			}
			slot := int32(len(prog.paths))
			slotOf[path] = slot
			prog.paths = append(prog.paths, path)
			trie.insert(c.Selector.Segments, &nodes).slot = slot
		})
	}
	b := &automatonBuilder{memo: map[string]*state{}}
	prog.root = b.state([]*trieNode{trie})
	eb := &evalBuilder{slotOf: slotOf, literals: make([]map[string]int32, len(prog.paths))}
	prog.evals = make([]evalNode, len(patterns))
	for i, p := range patterns {
		if p.root != nil {
			prog.evals[i] = eb.build(p.root)
		}
	}
	prog.literals = make([]nameTable, len(prog.paths))
	for slot, ids := range eb.literals {
		names := make([]string, len(ids))
		for lit, id := range ids {
			names[id] = lit
		}
		prog.literals[slot] = newNameTable(names)
	}
	prog.buildPrefilter()
	return prog
}

// NewDoc returns scratch space for evaluating the Program's patterns on one
// record at a time. A Doc is not safe for concurrent use.
func (prog *Program) NewDoc() *Doc {
	n := len(prog.paths)
	d := &Doc{prog: prog, head: make([]int32, n), litGen: make([]uint32, n), litID: make([]int32, n)}
	for i := range d.head {
		d.head[i] = -1
	}
	return d
}

// Patterns returns the patterns the Program was compiled from.
func (prog *Program) Patterns() []*Pattern { return slices.Clone(prog.patterns) }

// Paths returns the distinct selector paths the Program reads, in the
// canonical spelling of Selector.Path.
func (prog *Program) Paths() []string { return slices.Clone(prog.paths) }

// trieNode is a node of the trie of all selector paths.
type trieNode struct {
	id        int
	slot      int32 // the path ending here, or -1
	members   map[string]*trieNode
	indexes   map[int]*trieNode
	anyMember *trieNode
	anyIndex  *trieNode
}

func (n *trieNode) insert(segs []Segment, nodes *[]*trieNode) *trieNode {
	newNode := func() *trieNode {
		c := &trieNode{id: len(*nodes), slot: -1}
		*nodes = append(*nodes, c)
		return c
	}
	for _, seg := range segs {
		var child *trieNode
		switch seg.Kind {
		case SegmentMember:
			if n.members == nil {
				n.members = map[string]*trieNode{}
			}
			if child = n.members[seg.Name]; child == nil {
				child = newNode()
				n.members[seg.Name] = child
			}
		case SegmentIndex:
			if n.indexes == nil {
				n.indexes = map[int]*trieNode{}
			}
			if child = n.indexes[seg.Index]; child == nil {
				child = newNode()
				n.indexes[seg.Index] = child
			}
		case SegmentAnyMember:
			if n.anyMember == nil {
				n.anyMember = newNode()
			}
			child = n.anyMember
		case SegmentAnyIndex:
			if n.anyIndex == nil {
				n.anyIndex = newNode()
			}
			child = n.anyIndex
		}
		n = child
	}
	return n
}

// automatonBuilder turns the selector trie into a deterministic automaton
// by the subset construction: "$.a.b" and "$.*.c" both continue below a
// member "a", so the state reached by "a" is the set {a, *}.
type automatonBuilder struct {
	memo map[string]*state
}

func (b *automatonBuilder) state(set []*trieNode) *state {
	if len(set) == 0 {
		return nil
	}
	slices.SortFunc(set, func(x, y *trieNode) int { return x.id - y.id })
	set = slices.CompactFunc(set, func(x, y *trieNode) bool { return x == y })
	var key strings.Builder
	for _, n := range set {
		key.WriteString(strconv.Itoa(n.id))
		key.WriteByte(',')
	}
	if s, ok := b.memo[key.String()]; ok {
		return s
	}
	s := &state{}
	b.memo[key.String()] = s

	var names []string
	var indexes []int
	var anyMembers, anyIndexes []*trieNode
	for _, n := range set {
		if n.slot >= 0 {
			s.slots = append(s.slots, n.slot)
		}
		for name := range n.members {
			names = append(names, name)
		}
		for i := range n.indexes {
			indexes = append(indexes, i)
		}
		if n.anyMember != nil {
			anyMembers = append(anyMembers, n.anyMember)
		}
		if n.anyIndex != nil {
			anyIndexes = append(anyIndexes, n.anyIndex)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for _, name := range names {
		next := slices.Clone(anyMembers)
		for _, n := range set {
			if c := n.members[name]; c != nil {
				next = append(next, c)
			}
		}
		s.next = append(s.next, b.state(next))
	}
	s.names = newNameTable(names)
	slices.Sort(indexes)
	for _, i := range slices.Compact(indexes) {
		next := slices.Clone(anyIndexes)
		for _, n := range set {
			if c := n.indexes[i]; c != nil {
				next = append(next, c)
			}
		}
		s.indexes = append(s.indexes, indexEdge{i, b.state(next)})
	}
	s.anyMember = b.state(anyMembers)
	s.anyIndex = b.state(anyIndexes)
	return s
}
