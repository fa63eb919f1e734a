// Ping-pong: two goroutines hand control back and forth N times over unbuffered channels.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	ping, pong := make(chan int), make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			<-ping
			pong <- i
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	el := time.Since(start)
	fmt.Printf("%d switches, %.1f ns per switch\n", 2*n, float64(el.Nanoseconds())/float64(2*n))
}
