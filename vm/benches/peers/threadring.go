// Thread-ring (Benchmarks Game): 503 goroutines pass a token N times.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func worker(id int, in <-chan int, out chan<- int, done chan<- int) {
	for {
		t := <-in
		if t == 0 {
			done <- id
			return
		}
		out <- t - 1
	}
}

func main() {
	n := 10000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	const ring = 503
	chans := make([]chan int, ring)
	for i := range chans {
		chans[i] = make(chan int)
	}
	done := make(chan int)
	for i := 0; i < ring; i++ {
		go worker(i+1, chans[i], chans[(i+1)%ring], done)
	}
	chans[0] <- n
	fmt.Println(<-done)
}
