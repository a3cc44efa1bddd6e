package result_test

import (
	"sort"
	"testing"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/result"
)

// TestFilterAccounts: a filtered store and a filtered slice of the same
// findings give the same findings, counts and severities.
func TestFilterAccounts(t *testing.T) {
	var all []audit.Finding
	for _, id := range []string{"111111111111", "222222222222", "333333333333"} {
		for i, c := range []string{audit.UserInactive, audit.ConsoleMFAMissing, audit.RootAccessKeyActive} {
			sev := []audit.Severity{audit.Medium, audit.High, audit.Critical}[i]
			all = append(all, audit.Finding{AccountID: id, Principal: "user-" + c, Check: c, Severity: sev})
		}
	}
	sort.Slice(all, func(i, j int) bool { return audit.Less(&all[i], &all[j]) })
	store, err := findingstore.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := 0; i < len(all); i += 3 {
		if err := store.Add(all[i : i+3]); err != nil {
			t.Fatal(err)
		}
	}
	in := func(id string) bool { return id != "222222222222" }
	read := func(set result.FindingSet) (keys []string, bySev map[audit.Severity]int) {
		bySev = map[audit.Severity]int{}
		if err := set.EachAccount(func(fs []audit.Finding) error {
			for _, f := range fs {
				keys = append(keys, f.AccountID+"/"+f.Check)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, sev := range audit.Severities {
			if err := set.EachSeverity(sev, func(fs []audit.Finding) error { bySev[sev] += len(fs); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		return keys, bySev
	}
	fromStore, fromSlice := result.FilterAccounts(store, in), result.FilterAccounts(result.Findings(all), in)
	storeKeys, storeSev := read(fromStore)
	sliceKeys, sliceSev := read(fromSlice)
	if len(storeKeys) != 6 || fromStore.Len() != 6 || fromSlice.Len() != 6 {
		t.Fatalf("filtered store: %d findings (Len %d), slice Len %d; want 6", len(storeKeys), fromStore.Len(), fromSlice.Len())
	}
	for i := range storeKeys {
		if storeKeys[i] != sliceKeys[i] {
			t.Errorf("finding %d: store %s, slice %s", i, storeKeys[i], sliceKeys[i])
		}
	}
	for _, sev := range audit.Severities {
		if storeSev[sev] != sliceSev[sev] {
			t.Errorf("%s: store %d, slice %d", sev, storeSev[sev], sliceSev[sev])
		}
	}
	n := 0
	if err := fromStore.Update(func(fs []audit.Finding) error { n += len(fs); return nil }); err != nil || n != 6 {
		t.Errorf("Update passed %d findings (%v), want 6", n, err)
	}
}
