package awsorg

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// maxOUDepth bounds the walk up from an account to the root; AWS allows
// five levels of OUs.
const maxOUDepth = 10

// chainFromPaths turns the path "o-x/r-x/ou-a/ou-b/" into [ou-b ou-a r-x].
func chainFromPaths(paths []string) ([]string, bool) {
	if len(paths) == 0 {
		return nil, false
	}
	parts := strings.Split(strings.Trim(paths[0], "/"), "/")
	if len(parts) < 2 || !strings.HasPrefix(parts[1], "r-") {
		return nil, false
	}
	chain := make([]string, 0, len(parts)-1)
	for i := len(parts) - 1; i >= 1; i-- {
		chain = append(chain, parts[i])
	}
	return chain, true
}

// ousOnly drops the root from a chain, leaving the OUs innermost first.
func ousOnly(chain []string) []string {
	var ous []string
	for _, id := range chain {
		if strings.HasPrefix(id, "ou-") {
			ous = append(ous, id)
		}
	}
	return ous
}

// walkOUs finds the root above account, then lists the tree below it.
func (s *Source) walkOUs(ctx context.Context, me caller, account string) (map[string][]string, error) {
	root, err := s.findRoot(ctx, me, account)
	if err != nil {
		return nil, err
	}
	chains := map[string][]string{}
	queue := [][]string{{root}}
	for len(queue) > 0 {
		chain := queue[0]
		queue = queue[1:]
		accounts, err := s.children(ctx, me, chain[0], types.ChildTypeAccount)
		if err != nil {
			return nil, err
		}
		for _, id := range accounts {
			chains[id] = chain
		}
		ous, err := s.children(ctx, me, chain[0], types.ChildTypeOrganizationalUnit)
		if err != nil {
			return nil, err
		}
		for _, ou := range ous {
			queue = append(queue, append([]string{ou}, chain...))
		}
	}
	return chains, nil
}

// findRoot follows ListParents up from child to the root.
func (s *Source) findRoot(ctx context.Context, me caller, child string) (string, error) {
	id := child
	for range maxOUDepth {
		out, err := s.org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(id)})
		if err != nil {
			return "", opError(ctx, me.account, "organizations:ListParents", id, err)
		}
		if len(out.Parents) == 0 {
			return "", fmt.Errorf("organizations:ListParents %s: no parent", id)
		}
		p := out.Parents[0]
		if p.Type == types.ParentTypeRoot {
			return aws.ToString(p.Id), nil
		}
		id = aws.ToString(p.Id)
	}
	return "", fmt.Errorf("organizations:ListParents: no root within %d levels above account %s", maxOUDepth, child)
}

// children lists every page of the children of a given type under parent.
func (s *Source) children(ctx context.Context, me caller, parent string, typ types.ChildType) ([]string, error) {
	var ids []string
	p := organizations.NewListChildrenPaginator(s.org, &organizations.ListChildrenInput{
		ParentId: aws.String(parent), ChildType: typ, MaxResults: aws.Int32(20),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, opError(ctx, me.account, "organizations:ListChildren", parent+" "+string(typ), err)
		}
		for _, c := range page.Children {
			ids = append(ids, aws.ToString(c.Id))
		}
	}
	return ids, nil
}
