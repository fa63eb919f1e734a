// Parallel sum: a CPU-bound sum of i*i mod 7 split over T goroutines.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	n, t := 400000000, 16
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	res := make(chan int, t)
	chunk := n / t
	for k := 0; k < t; k++ {
		go func(lo, hi int) {
			s := 0
			for i := lo; i < hi; i++ {
				s += i * i % 7
			}
			res <- s
		}(k*chunk, (k+1)*chunk)
	}
	total := 0
	for k := 0; k < t; k++ {
		total += <-res
	}
	fmt.Println(total)
}
