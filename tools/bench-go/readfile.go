// readfile - the Go reader of tools/bench: os.ReadFile of every file named in a list.
//
//	readfile LIST ROOT
//
// LIST holds one path a line, relative to ROOT. Prints one line,
//
//	files F bytes B us T sum S
//
// with T the microseconds of the whole pass (clock read around it, not the process start)
// and S an FNV-1a hash of every file's bytes in list order, so two roots read with the same
// sum held the same bytes. A file that cannot be read is an error (exit 1).
package main

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: readfile LIST ROOT")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "readfile:", err)
		os.Exit(1)
	}
	var paths []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		paths = append(paths, filepath.Join(os.Args[2], sc.Text()))
	}
	f.Close()
	var total int64
	data := make([][]byte, 0, len(paths))
	t0 := time.Now()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "readfile:", err)
			os.Exit(1)
		}
		data = append(data, b)
	}
	us := float64(time.Since(t0).Nanoseconds()) / 1000
	h := fnv.New64a()
	for _, b := range data {
		total += int64(len(b))
		h.Write(b)
	}
	fmt.Printf("files %d bytes %d us %.1f sum %016x\n", len(paths), total, us, h.Sum64())
}
