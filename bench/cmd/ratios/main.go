// Command ratios reads `go test -bench` output (any -count) on standard input
// and prints, for each group of peer benchmarks (BenchmarkSignPair,
// BenchmarkCheckAccess and their ES256/EdDSA variants), each implementation's
// median time and allocations, its ratio to quickjwt's median, and for HS256
// its ratio to BenchmarkFloor/hmac-pair.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(?:.*?\s([0-9.]+) allocs/op)?`)

func main() {
	times := map[string][]float64{}
	allocs := map[string]float64{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		ns, _ := strconv.ParseFloat(m[2], 64)
		if _, seen := times[name]; !seen {
			order = append(order, name)
		}
		times[name] = append(times[name], ns)
		if m[3] != "" {
			allocs[name], _ = strconv.ParseFloat(m[3], 64)
		}
	}
	median := func(name string) float64 {
		v := slices.Clone(times[name])
		if len(v) == 0 {
			return 0
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	floor := median("Floor/hmac-pair")
	for _, group := range []string{"SignPair", "SignPairES256", "SignPairEdDSA", "CheckAccess", "CheckAccessES256", "CheckAccessEdDSA"} {
		base := median(group + "/quickjwt")
		if base == 0 {
			continue
		}
		fmt.Printf("\n%s\n\n| implementation | median | allocs/op | × quickjwt |", group)
		withFloor := group == "SignPair" && floor > 0
		if withFloor {
			fmt.Print(" × floor |")
		}
		fmt.Print("\n|---|---|---|---|")
		if withFloor {
			fmt.Print("---|")
		}
		fmt.Println()
		for _, name := range order {
			impl, ok := strings.CutPrefix(name, group+"/")
			if !ok || strings.Contains(impl, "/") {
				continue
			}
			t := median(name)
			fmt.Printf("| %s | %s | %.0f | %.2f |", impl, dur(t), allocs[name], t/base)
			if withFloor {
				fmt.Printf(" %.2f |", t/floor)
			}
			fmt.Println()
		}
	}
	if floor > 0 {
		fmt.Printf("\nFloor/hmac-pair: %s\n", dur(floor))
	}
}

func dur(ns float64) string {
	if ns >= 1000 {
		return fmt.Sprintf("%.2f µs", ns/1000)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
