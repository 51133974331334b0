// bolttool: the independent side of the BoltDB cross-check (Debian's go.etcd.io/bbolt).
//
//	bolttool gen FILE NKEYS SEED   write a file: NKEYS keys in bucket "big" (some values on
//	                               overflow pages), nested, inline, empty and binary-keyed
//	                               buckets, then a second transaction that deletes and rewrites
//	bolttool dump FILE             print every key as boltdump --flat does
//	                               (<bucket path>TAB<key>TAB<value>, escaped the same way)
//	bolttool check FILE            bbolt's own consistency check (tx.Check): every page
//	                               reachable or free, none twice, no overflow past the end
//	bolttool churn FILE MILLIS     commit for MILLIS ms (at least once): each transaction sets
//	                               the 200 keys of bucket "c" to one new value (of varying
//	                               size) and grows or drops bucket "o"; a reader that sees
//	                               two values in "c" has mixed two transactions
//
// Built in GOPATH mode from Debian's packages (GO111MODULE=off), no network.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

func escape(w *bufio.Writer, p []byte, slash bool) {
	for _, c := range p {
		switch {
		case c == '\\':
			w.WriteString("\\\\")
		case c < 0x20 || c > 0x7e || (slash && c == '/'):
			fmt.Fprintf(w, "\\x%02x", c)
		default:
			w.WriteByte(c)
		}
	}
}

func dumpBucket(w *bufio.Writer, path [][]byte, b *bolt.Bucket) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				dumpBucket(w, append(append([][]byte{}, path...), k), sub)
				continue
			}
		}
		for i, p := range path {
			if i > 0 {
				w.WriteByte('/')
			}
			escape(w, p, true)
		}
		w.WriteByte('\t')
		escape(w, k, false)
		w.WriteByte('\t')
		escape(w, v, false)
		w.WriteByte('\n')
	}
}

func dump(file string) error {
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			dumpBucket(w, [][]byte{name}, b)
			return nil
		})
	})
}

func check(file string) error {
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		n := 0
		for e := range tx.Check() {
			fmt.Fprintln(os.Stderr, "bolttool: check:", e)
			n++
		}
		if n > 0 {
			return fmt.Errorf("%d consistency errors", n)
		}
		return nil
	})
}

func churn(file string, ms int) error {
	db, err := bolt.Open(file, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	n := 0
	for v := 0; v == 0 || time.Now().Before(deadline); v++ {
		err := db.Update(func(tx *bolt.Tx) error {
			c, err := tx.CreateBucketIfNotExists([]byte("c"))
			if err != nil {
				return err
			}
			val := append([]byte(fmt.Sprintf("%d:", v)), bytes.Repeat([]byte{byte('a' + v%26)}, 10+(v*37)%3000)...)
			for k := 0; k < 200; k++ {
				if err := c.Put([]byte(fmt.Sprintf("k%03d", k)), val); err != nil {
					return err
				}
			}
			if v%10 == 9 {
				return tx.DeleteBucket([]byte("o"))
			}
			o, err := tx.CreateBucketIfNotExists([]byte("o"))
			if err != nil {
				return err
			}
			return o.Put([]byte(fmt.Sprintf("x%06d", v)), make([]byte, 100+v%500))
		})
		if err != nil {
			return err
		}
		n++
	}
	fmt.Printf("%d commits\n", n)
	return nil
}

func value(r *rand.Rand, i int) []byte {
	n := r.Intn(64)
	switch {
	case i%97 == 0:
		n = 4000 + r.Intn(60000) // several pages: an overflow run
	case i%13 == 0:
		n = 0
	}
	v := make([]byte, n)
	for j := range v {
		v[j] = byte(r.Intn(256))
	}
	return v
}

func gen(file string, nkeys int, seed int64) error {
	r := rand.New(rand.NewSource(seed))
	db, err := bolt.Open(file, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		big, err := tx.CreateBucket([]byte("big"))
		if err != nil {
			return err
		}
		for i := 0; i < nkeys; i++ {
			if err := big.Put([]byte(fmt.Sprintf("key%08d", i)), value(r, i)); err != nil {
				return err
			}
		}
		nested, err := tx.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		if _, err := nested.CreateBucket([]byte("empty")); err != nil {
			return err
		}
		inl, err := nested.CreateBucket([]byte("inline"))
		if err != nil {
			return err
		}
		for _, k := range []string{"a", "b", "c"} {
			if err := inl.Put([]byte(k), []byte("small "+k)); err != nil {
				return err
			}
		}
		deep := nested
		for _, n := range []string{"d1", "d2/with/slash", "d3", "d4"} {
			if deep, err = deep.CreateBucket([]byte(n)); err != nil {
				return err
			}
			if err := deep.Put([]byte("level"), []byte(n)); err != nil {
				return err
			}
		}
		for i := 0; i < nkeys/100; i++ {
			if err := deep.Put([]byte(fmt.Sprintf("deepkey%05d", i)), value(r, i)); err != nil {
				return err
			}
		}
		many, err := nested.CreateBucket([]byte("many"))
		if err != nil {
			return err
		}
		for i := 0; i < 50+nkeys/200; i++ {
			sb, err := many.CreateBucket([]byte(fmt.Sprintf("sub%04d", i)))
			if err != nil {
				return err
			}
			for j := 0; j < i%5; j++ {
				if err := sb.Put([]byte{byte(j), 0xff, 0x00, '\\', '\t'}, value(r, j+1)); err != nil {
					return err
				}
			}
		}
		bin, err := tx.CreateBucket([]byte{0x00, 0xfe, 'b', 'i', 'n'})
		if err != nil {
			return err
		}
		for i := 0; i < 300; i++ {
			k := []byte{byte(i >> 8), byte(i), 0x00, byte(r.Intn(256))}
			if err := bin.Put(k, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A second transaction: deletes, rewrites and a new bucket, so pages are freed and reused
	// and the two meta pages hold different transactions.
	return db.Update(func(tx *bolt.Tx) error {
		big := tx.Bucket([]byte("big"))
		for i := 0; i < nkeys; i += 3 {
			if err := big.Delete([]byte(fmt.Sprintf("key%08d", i))); err != nil {
				return err
			}
		}
		for i := 1; i < nkeys; i += 7 {
			if err := big.Put([]byte(fmt.Sprintf("key%08d", i)), value(r, i*3)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("nested")).DeleteBucket([]byte("inline")); err != nil {
			return err
		}
		late, err := tx.CreateBucket([]byte("late"))
		if err != nil {
			return err
		}
		return late.Put([]byte("k"), []byte("v"))
	})
}

func main() {
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "dump":
		err = dump(os.Args[2])
	case len(os.Args) == 4 && os.Args[1] == "churn":
		ms, e := strconv.Atoi(os.Args[3])
		if e != nil {
			err = e
		} else {
			err = churn(os.Args[2], ms)
		}
	case len(os.Args) == 3 && os.Args[1] == "check":
		err = check(os.Args[2])
	case len(os.Args) == 5 && os.Args[1] == "gen":
		n, e1 := strconv.Atoi(os.Args[3])
		seed, e2 := strconv.ParseInt(os.Args[4], 10, 64)
		if e1 != nil || e2 != nil {
			err = fmt.Errorf("NKEYS and SEED must be numbers")
		} else {
			err = gen(os.Args[2], n, seed)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: bolttool gen FILE NKEYS SEED | bolttool dump FILE | bolttool check FILE")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bolttool:", err)
		os.Exit(1)
	}
}
