package main

// TagOrder returns the published modules in the order their tags are made:
// each module after every one of our modules it requires, so the root comes
// first, then the stores and notifiers, then what builds on them (the
// examples). Ties keep Repo.Published's order (by directory). A cycle, which
// the go command allows between modules, ends the ordering early; the rest
// follow in directory order.
func TagOrder(r *Repo) []Module {
	done := map[string]bool{}
	var order []Module
	for len(order) < len(r.Published) {
		progressed := false
		for _, m := range r.Published {
			if done[m.Path] || !requiresDone(r, m, done) {
				continue
			}
			done[m.Path] = true
			order = append(order, m)
			progressed = true
		}
		if !progressed {
			for _, m := range r.Published {
				if !done[m.Path] {
					done[m.Path] = true
					order = append(order, m)
				}
			}
		}
	}
	return order
}

func requiresDone(r *Repo, m Module, done map[string]bool) bool {
	for _, req := range m.File.Require {
		if r.Ours(req.Mod.Path) && req.Mod.Path != m.Path && !done[req.Mod.Path] {
			return false
		}
	}
	return true
}
