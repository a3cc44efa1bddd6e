// Package synth generates deterministic, realistic credential reports for
// benchmarks and tests: a root row and any number of users with a mix of
// healthy and risky credentials.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
)

// Write writes the credential report of account id with users IAM users,
// as of asOf, to w. The same (id, users, asOf, seed) always gives the
// same bytes.
func Write(w io.Writer, id string, users int, asOf time.Time, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	bw := bufio.NewWriterSize(w, 64<<10)
	ago := func(maxDays int) string {
		return asOf.Add(-time.Duration(rng.IntN(maxDays*24*3600)+3600) * time.Second).Format("2006-01-02T15:04:05+00:00")
	}
	row := make([]string, 0, len(credreport.Columns))
	emit := func() {
		for i, v := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(v)
		}
		bw.WriteByte('\n')
		row = row[:0]
	}
	row = append(row, credreport.Columns...)
	emit()

	rootUsed := "no_information"
	if rng.IntN(3) == 0 {
		rootUsed = ago(200)
	}
	row = append(row, credreport.RootUser, "arn:aws:iam::"+id+":root", ago(3000), "not_supported", rootUsed,
		"not_supported", "not_supported", strconv.FormatBool(rng.IntN(5) != 0))
	if rng.IntN(20) == 0 {
		row = append(row, "true", ago(2000), ago(100), "us-east-1", "s3")
	} else {
		row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
	}
	row = append(row, "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A")
	emit()

	regions := []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	services := []string{"s3", "sts", "ec2", "ecr", "lambda", "dynamodb"}
	paths := []string{"", "automation/", "teams/payments/", "contractors/"}
	for u := range users {
		name := fmt.Sprintf("user-%05d", u)
		inactive := rng.IntN(10) == 0 // one user in ten has not been seen for months
		recent := 120
		if inactive {
			recent = 1000
		}
		row = append(row, name, "arn:aws:iam::"+id+":user/"+paths[rng.IntN(len(paths))]+name, ago(2500))
		if rng.IntN(2) == 0 {
			used := ago(recent)
			if rng.IntN(10) == 0 {
				used = "no_information"
			}
			row = append(row, "true", used, ago(400), "N/A", strconv.FormatBool(rng.IntN(10) >= 3))
		} else {
			row = append(row, "false", "N/A", "N/A", "N/A", "false")
		}
		for k := range 2 {
			if (k == 0 && rng.IntN(10) < 6) || (k == 1 && rng.IntN(10) < 1) {
				row = append(row, "true", ago(500))
				if rng.IntN(10) == 0 {
					row = append(row, "N/A", "N/A", "N/A")
				} else {
					row = append(row, ago(recent), regions[rng.IntN(len(regions))], services[rng.IntN(len(services))])
				}
			} else {
				row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
			}
		}
		row = append(row, "false", "N/A", "false", "N/A")
		emit()
	}
	return bw.Flush()
}
