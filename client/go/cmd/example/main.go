// The cross-language example: a process on host A and one on host B (two
// socketlabd daemons linked by a lab, e.g. client/examples/lab2.yml), B
// listens on TCP, A connects, 1 MiB is echoed both ways, then ECONNREFUSED,
// EADDRINUSE and EAGAIN are checked. Exit status 0 only if all pass.
//
//	go run ./cmd/example A_HOST:PORT B_HOST:PORT [B_IP]    (B_IP: 10.0.0.2)
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	socketlab "socketlab/client"
)

const (
	total = 1 << 20
	chunk = 64 * 1024
)

var failed int

func check(ok bool, what string) {
	if ok {
		fmt.Println("PASS", what)
	} else {
		fmt.Println("FAIL", what)
		failed++
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func run(targetA, targetB, ipB string) {
	ctx := context.Background()
	a, err := socketlab.Dial(targetA)
	must(err)
	defer a.Close()
	b, err := socketlab.Dial(targetB)
	must(err)
	defer b.Close()
	// A port of its own for each run (B's pids grow), so no TIME-WAIT of a
	// previous run holds it.
	port := uint16(20000 + b.Pid%20000*2)
	addr := socketlab.InetAddr(ipB, port)

	// B listens.
	lfd, err := b.Socket(ctx, socketlab.AF_INET, socketlab.SOCK_STREAM, 0)
	must(err)
	must(b.Bind(ctx, lfd, addr))
	must(b.Listen(ctx, lfd, 8))

	// EADDRINUSE: a second bind to the same address and port on B.
	dup, err := b.Socket(ctx, socketlab.AF_INET, socketlab.SOCK_STREAM, 0)
	must(err)
	err = b.Bind(ctx, dup, addr)
	check(errors.Is(err, syscall.EADDRINUSE), fmt.Sprintf("bind to a bound port on B: %v", err))
	must(b.CloseFd(ctx, dup))

	// ECONNREFUSED: A connects to a TCP port of B where nothing listens (B answers RST).
	probe, err := a.Socket(ctx, socketlab.AF_INET, socketlab.SOCK_STREAM, 0)
	must(err)
	err = a.Connect(ctx, probe, socketlab.InetAddr(ipB, port+1))
	check(errors.Is(err, syscall.ECONNREFUSED), fmt.Sprintf("connect from A to a closed port on B: %v", err))
	must(a.CloseFd(ctx, probe))

	// A connects, B accepts (in a goroutine: Accept blocks until the connection).
	accepted := make(chan int32, 1)
	go func() {
		fd, err := b.Accept(ctx, lfd)
		must(err)
		accepted <- fd
	}()
	cfd, err := a.Socket(ctx, socketlab.AF_INET, socketlab.SOCK_STREAM, 0)
	must(err)
	must(a.Connect(ctx, cfd, addr))
	sfd := <-accepted

	// 1 MiB A -> B while B echoes it back, A reading the echo concurrently.
	payload := make([]byte, total)
	for i := range payload {
		payload[i] = byte(i * 7 % 251)
	}
	atB := make(chan []byte, 1)
	go func() {
		var got []byte
		for len(got) < total {
			data, err := b.Recv(ctx, sfd, chunk, 0)
			must(err)
			if len(data) == 0 {
				break
			}
			got = append(got, data...)
			must(b.SendAll(ctx, sfd, data))
		}
		atB <- got
	}()
	back := make(chan []byte, 1)
	go func() {
		data, err := a.RecvFull(ctx, cfd, total)
		must(err)
		back <- data
	}()
	for off := 0; off < total; off += chunk {
		must(a.SendAll(ctx, cfd, payload[off:off+chunk]))
	}
	check(bytes.Equal(<-atB, payload), "1 MiB from A arrived intact at B over TCP")
	check(bytes.Equal(<-back, payload), "1 MiB echoed by B arrived intact at A")

	// EAGAIN: a nonblocking recv on the connected TCP socket with nothing queued.
	must(a.SetNonblock(ctx, cfd, true))
	_, err = a.Recv(ctx, cfd, 100, 0)
	check(errors.Is(err, syscall.EAGAIN), fmt.Sprintf("nonblocking recv with nothing queued: %v", err))

	// EOF after the peer closes (its FIN).
	must(b.CloseFd(ctx, sfd))
	must(a.SetNonblock(ctx, cfd, false))
	data, err := a.Recv(ctx, cfd, 100, 0)
	check(err == nil && len(data) == 0, "recv after the peer closed is EOF")
	must(a.CloseFd(ctx, cfd))
	must(b.CloseFd(ctx, lfd))
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: example A_HOST:PORT B_HOST:PORT [B_IP]")
		os.Exit(2)
	}
	ipB := "10.0.0.2"
	if len(os.Args) > 3 {
		ipB = os.Args[3]
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				check(false, fmt.Sprintf("unexpected error: %v", r))
			}
		}()
		run(os.Args[1], os.Args[2], ipB)
	}()
	if failed == 0 {
		fmt.Println("go example: all checks passed")
		return
	}
	fmt.Printf("go example: %d check(s) failed\n", failed)
	os.Exit(1)
}
