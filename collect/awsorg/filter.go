package awsorg

import "slices"

// filter applies the include/exclude account and OU options. An account
// is kept when it passes all four.
type filter struct {
	includeAccounts, excludeAccounts map[string]bool
	includeOUs, excludeOUs           map[string]bool
}

func newFilter(o Options) filter {
	set := func(ids []string) map[string]bool {
		m := make(map[string]bool, len(ids))
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	return filter{
		includeAccounts: set(o.IncludeAccounts), excludeAccounts: set(o.ExcludeAccounts),
		includeOUs: set(o.IncludeOUs), excludeOUs: set(o.ExcludeOUs),
	}
}

// keep decides for account id whose parents, innermost first up to the
// root, are chain.
func (f filter) keep(id string, chain []string) bool {
	under := func(set map[string]bool) bool {
		return slices.ContainsFunc(chain, func(p string) bool { return set[p] })
	}
	switch {
	case len(f.includeAccounts) > 0 && !f.includeAccounts[id]:
		return false
	case f.excludeAccounts[id]:
		return false
	case len(f.includeOUs) > 0 && !under(f.includeOUs):
		return false
	case under(f.excludeOUs):
		return false
	}
	return true
}
