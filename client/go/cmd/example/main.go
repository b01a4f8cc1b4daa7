// The cross-language example: two processes on one socketlabd host (AF_UNIX
// until TCP lands), listen in B, connect from A, echo 1 MiB both ways, check
// ECONNREFUSED, EADDRINUSE and EAGAIN. Exit status 0 only if all pass.
//
//	go run ./cmd/example 127.0.0.1:50051
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

func run(target string) {
	ctx := context.Background()
	a, err := socketlab.Dial(target)
	must(err)
	defer a.Close()
	b, err := socketlab.Dial(target)
	must(err)
	defer b.Close()
	path := fmt.Sprintf("/tmp/socketlab-example-go-%d.sock", a.Pid)
	refused := path + ".refused"

	// B listens.
	lfd, err := b.Socket(ctx, socketlab.AF_UNIX, socketlab.SOCK_STREAM, 0)
	must(err)
	must(b.Bind(ctx, lfd, socketlab.UnixAddr(path)))
	must(b.Listen(ctx, lfd, 8))

	// EADDRINUSE: a second bind to the same path.
	dup, err := b.Socket(ctx, socketlab.AF_UNIX, socketlab.SOCK_STREAM, 0)
	must(err)
	err = b.Bind(ctx, dup, socketlab.UnixAddr(path))
	check(errors.Is(err, syscall.EADDRINUSE), fmt.Sprintf("bind to a bound path: %v", err))
	must(b.CloseFd(ctx, dup))

	// ECONNREFUSED: connecting to a bound socket that does not listen.
	quiet, err := b.Socket(ctx, socketlab.AF_UNIX, socketlab.SOCK_STREAM, 0)
	must(err)
	must(b.Bind(ctx, quiet, socketlab.UnixAddr(refused)))
	probe, err := a.Socket(ctx, socketlab.AF_UNIX, socketlab.SOCK_STREAM, 0)
	must(err)
	err = a.Connect(ctx, probe, socketlab.UnixAddr(refused))
	check(errors.Is(err, syscall.ECONNREFUSED), fmt.Sprintf("connect to a socket that does not listen: %v", err))
	must(a.CloseFd(ctx, probe))
	must(b.CloseFd(ctx, quiet))

	// A connects, B accepts (in a goroutine: Accept blocks until the connection).
	accepted := make(chan int32, 1)
	go func() {
		fd, err := b.Accept(ctx, lfd)
		must(err)
		accepted <- fd
	}()
	cfd, err := a.Socket(ctx, socketlab.AF_UNIX, socketlab.SOCK_STREAM, 0)
	must(err)
	must(a.Connect(ctx, cfd, socketlab.UnixAddr(path)))
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
	check(bytes.Equal(<-atB, payload), "1 MiB from A arrived intact at B")
	check(bytes.Equal(<-back, payload), "1 MiB echoed by B arrived intact at A")

	// EAGAIN: a nonblocking recv with nothing queued.
	must(a.SetNonblock(ctx, cfd, true))
	_, err = a.Recv(ctx, cfd, 100, 0)
	check(errors.Is(err, syscall.EAGAIN), fmt.Sprintf("nonblocking recv with nothing queued: %v", err))

	// EOF after the peer closes.
	must(b.CloseFd(ctx, sfd))
	must(a.SetNonblock(ctx, cfd, false))
	data, err := a.Recv(ctx, cfd, 100, 0)
	check(err == nil && len(data) == 0, "recv after the peer closed is EOF")
	must(a.CloseFd(ctx, cfd))
	must(b.CloseFd(ctx, lfd))
	must(b.Unlink(ctx, path))
	must(b.Unlink(ctx, refused))
}

func main() {
	target := os.Getenv("SOCKETLAB_TARGET")
	if len(os.Args) > 1 {
		target = os.Args[1]
	}
	if target == "" {
		target = "127.0.0.1:50051"
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				check(false, fmt.Sprintf("unexpected error: %v", r))
			}
		}()
		run(target)
	}()
	if failed == 0 {
		fmt.Println("go example: all checks passed")
		return
	}
	fmt.Printf("go example: %d check(s) failed\n", failed)
	os.Exit(1)
}
