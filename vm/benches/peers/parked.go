// Parked: N goroutines block on one gate; report resident memory per goroutine.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

func rssKiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	before := rssKiB()
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() { ready.Done(); <-gate; done.Done() }()
	}
	ready.Wait()
	after := rssKiB()
	close(gate)
	done.Wait()
	fmt.Printf("%d parked, %.2f KiB resident each\n", n, float64(after-before)/float64(n))
}
