package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/posture"
)

// UnusedServices is the ID of the opt-in check of granted services a
// user or role did not use (IAM's service last-accessed data).
const UnusedServices = "unused-services"

// unusedListed is how many unused namespaces a finding's detail names.
const unusedListed = 10

// UnusedService is one granted service a principal did not use within
// the limit.
type UnusedService struct {
	Namespace string
	Name      string
	// LastAccessed is the last authentication; zero when never within
	// IAM's tracking period (400 days).
	LastAccessed time.Time
	// Days since LastAccessed; not valid when never.
	Days Days
}

// UnusedAccess is one principal's unused services: the rows of the
// workbook's Unused access sheet.
type UnusedAccess struct {
	Principal string // user/<name> or role/<name>
	ARN       string
	Granted   int
	Services  []UnusedService
}

// AppendUnusedServices applies unused-services to the account's users
// and roles and appends the findings to dst. It returns the checks not
// run (the whole check when its inputs are missing; the principals whose
// data is missing, named) and each finding's unused services. It does
// nothing when the check is off (Thresholds.UnusedPermissionsDays 0) or
// its input was not asked for.
//
// A principal is judged when it holds a policy, is not a service-linked
// role, was created more than the limit before the as-of, and has
// completed last-accessed data; a finding when at least one granted
// service was never used in IAM's tracking period or last used more than
// the limit before the as-of.
func (e *Evaluator) AppendUnusedServices(dst []Finding, acct Account, d *posture.Data) ([]Finding, []NotRun, []UnusedAccess) {
	limit := e.Thresholds.UnusedPermissionsDays
	if limit <= 0 {
		return dst, nil, nil
	}
	checks := []string{UnusedServices}
	la := d.LastAccessed
	if la == nil {
		if p, ok := d.Problem(posture.LastAccessedInput); ok {
			return dst, []NotRun{{Checks: checks, Reason: p.Error(), Failed: p.Failed}}, nil
		}
		return dst, nil, nil
	}
	if d.Details == nil {
		reason := string(posture.AuthorizationDetailsInput) + ": not collected"
		failed := false
		if p, ok := d.Problem(posture.AuthorizationDetailsInput); ok {
			reason, failed = p.Error(), p.Failed
		}
		return dst, []NotRun{{Checks: checks, Reason: "needs the authorization details; " + reason, Failed: failed}}, nil
	}
	var rows []UnusedAccess
	var failed, missing, failedIDs []string
	notAsked := map[string][]string{}
	for _, p := range d.Details.PolicyHolders() {
		if p.Created.IsZero() || e.AgeDays(p.Created) <= limit {
			continue
		}
		if err, ok := la.Failed[p.ARN]; ok {
			failed = append(failed, p.ID()+" ("+err.Error()+")")
			failedIDs = append(failedIDs, p.ID())
			continue
		}
		if why, ok := la.NotAsked[p.ARN]; ok {
			notAsked[why] = append(notAsked[why], p.ID())
			continue
		}
		details, ok := la.Principals[p.ARN]
		if !ok {
			missing = append(missing, p.ID())
			continue
		}
		unused := e.unusedOf(details, limit)
		if len(unused) == 0 {
			continue
		}
		rows = append(rows, UnusedAccess{Principal: p.ID(), ARN: p.ARN, Granted: len(details.ServicesLastAccessed), Services: unused})
		dst = append(dst, e.unusedFinding(acct, p, len(details.ServicesLastAccessed), unused))
	}
	var notRun []NotRun
	if len(failed) > 0 {
		notRun = append(notRun, NotRun{Checks: checks, Failed: true, Partial: true, Principals: failedIDs,
			Reason: fmt.Sprintf("last-accessed data missing for %d %s: %s", len(failed), plural(len(failed), "principal", "principals"), strings.Join(failed, "; "))})
	}
	for _, why := range sortedKeys(notAsked) {
		ids := notAsked[why]
		notRun = append(notRun, NotRun{Checks: checks, Partial: true, Principals: ids,
			Reason: fmt.Sprintf("%d %s not asked about: %s", len(ids), plural(len(ids), "principal", "principals"), why)})
	}
	if len(missing) > 0 {
		notRun = append(notRun, NotRun{Checks: checks, Partial: true, Principals: missing,
			Reason: fmt.Sprintf("no last-accessed data for %d %s: %s", len(missing), plural(len(missing), "principal", "principals"), strings.Join(missing, ", "))})
	}
	// Entries of a file that name no principal of the account.
	var stray []string
	for _, arn := range posture.SortedARNs(la.Failed) {
		if !holds(d.Details, arn) {
			stray = append(stray, la.Failed[arn].Error())
		}
	}
	if len(stray) > 0 {
		notRun = append(notRun, NotRun{Checks: checks, Failed: true, Partial: true,
			Reason: fmt.Sprintf("%d last-accessed %s refused: %s", len(stray), plural(len(stray), "entry", "entries"), strings.Join(stray, "; "))})
	}
	return dst, notRun, rows
}

// unusedOf returns the services of d never used, or last used more than
// limit days before the as-of, in namespace order.
func (e *Evaluator) unusedOf(d *posture.ServiceLastAccessedDetails, limit int) []UnusedService {
	var out []UnusedService
	for _, s := range d.ServicesLastAccessed {
		u := UnusedService{Namespace: s.ServiceNamespace, Name: s.ServiceName}
		if s.LastAuthenticated != nil && !s.LastAuthenticated.IsZero() {
			age := e.AgeDays(*s.LastAuthenticated)
			if age <= limit {
				continue
			}
			u.LastAccessed, u.Days = s.LastAuthenticated.UTC(), DaysOf(age)
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

// unusedFinding is the finding of principal p with unused of granted
// services unused.
func (e *Evaluator) unusedFinding(acct Account, p posture.Principal, granted int, unused []UnusedService) Finding {
	names := make([]string, 0, unusedListed)
	for i, u := range unused {
		if i == unusedListed {
			break
		}
		names = append(names, u.Namespace)
	}
	list := strings.Join(names, ", ")
	if len(unused) > unusedListed {
		list += ", …"
	}
	return e.posture(acct, UnusedServices, p.ID(), p.ARN, "services",
		fmt.Sprintf("%d of %d granted services unused: %s", len(unused), granted, list))
}

// holds reports whether arn is a user or role of d.
func holds(d *posture.AuthorizationDetails, arn string) bool {
	for i := range d.UserDetailList {
		if d.UserDetailList[i].Arn == arn {
			return true
		}
	}
	for i := range d.RoleDetailList {
		if d.RoleDetailList[i].Arn == arn {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
