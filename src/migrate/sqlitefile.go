// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package migrate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// sqliteDB reads the tables of an SQLite 3 database file directly, in the
// file format documented at sqlite.org/fileformat2.html: the schema table
// on page 1, table b-trees (interior and leaf pages), overflow chains, and
// records. That is all a Parsec SQLite key info manager needs (two small
// rowid tables), and it keeps the daemon free of cgo and of a full SQLite
// engine. It reads a consistent file only: a hot rollback journal or a
// write-ahead log with frames means the last transaction is not in the
// main file yet, and openSQLite refuses it.
type sqliteDB struct {
	data     []byte
	pageSize int
	usable   int
	pages    int
}

// sqliteRow is one row of a table: the rowid and the values by column
// name (int64, float64, string, []byte or nil).
type sqliteRow struct {
	RowID  int64
	Values map[string]any
}

func openSQLite(path string) (*sqliteDB, error) {
	for _, side := range []string{"-journal", "-wal"} {
		if fi, err := os.Stat(path + side); err == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("%s%s exists: the database has a transaction that is not in the main file yet; start Parsec once (or open it with sqlite3) so that SQLite finishes it, then migrate", path, side)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseSQLite(data)
}

func parseSQLite(data []byte) (*sqliteDB, error) {
	if len(data) < 100 || !bytes.HasPrefix(data, []byte("SQLite format 3\x00")) {
		return nil, errors.New("not an SQLite 3 database")
	}
	be := binary.BigEndian
	ps := int(be.Uint16(data[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("invalid page size %d", ps)
	}
	if enc := be.Uint32(data[56:]); enc != 1 && enc != 0 {
		return nil, fmt.Errorf("text encoding %d is not UTF-8", enc)
	}
	db := &sqliteDB{data: data, pageSize: ps, usable: ps - int(data[20]), pages: len(data) / ps}
	if db.usable < 480 {
		return nil, errors.New("invalid reserved space")
	}
	return db, nil
}

func (db *sqliteDB) page(n uint32) ([]byte, error) {
	if n < 1 || int(n) > db.pages {
		return nil, fmt.Errorf("page %d out of range (%d pages)", n, db.pages)
	}
	return db.data[int(n-1)*db.pageSize : int(n)*db.pageSize], nil
}

// varint decodes an SQLite varint (1 to 9 bytes, big endian).
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 9 && i < len(b); i++ {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// scanTable calls fn with the payload of every row of the table b-tree
// rooted at page root, in rowid order.
func (db *sqliteDB) scanTable(root uint32, fn func(rowid int64, payload []byte) error) error {
	return db.walk(root, 0, map[uint32]bool{}, fn)
}

// walk visits the b-tree under pgno; a page met twice (a damaged file
// whose pointers loop) is an error, so a walk reads each page once.
func (db *sqliteDB) walk(pgno uint32, depth int, seen map[uint32]bool, fn func(int64, []byte) error) error {
	if depth > 20 {
		return errors.New("b-tree too deep")
	}
	if seen[pgno] {
		return fmt.Errorf("page %d is reached twice: the b-tree loops", pgno)
	}
	seen[pgno] = true
	p, err := db.page(pgno)
	if err != nil {
		return err
	}
	hdr := 0
	if pgno == 1 {
		hdr = 100
	}
	if len(p) < hdr+12 {
		return errors.New("short page")
	}
	be := binary.BigEndian
	kind := p[hdr]
	ncells := int(be.Uint16(p[hdr+3:]))
	ptrs := hdr + 8
	if kind == 5 {
		ptrs = hdr + 12
	}
	if ptrs+2*ncells > len(p) {
		return fmt.Errorf("page %d: cell pointers overflow the page", pgno)
	}
	for i := range ncells {
		off := int(be.Uint16(p[ptrs+2*i:]))
		if off >= db.usable {
			return fmt.Errorf("page %d: cell offset %d out of range", pgno, off)
		}
		cell := p[off:db.usable]
		switch kind {
		case 5: // interior table page: left child, rowid key
			if len(cell) < 4 {
				return fmt.Errorf("page %d: short cell", pgno)
			}
			if err := db.walk(be.Uint32(cell), depth+1, seen, fn); err != nil {
				return err
			}
		case 13: // leaf table page: payload size, rowid, payload
			size, n1 := varint(cell)
			rowid, n2 := varint(cell[n1:])
			if n1 == 0 || n2 == 0 {
				return fmt.Errorf("page %d: bad cell", pgno)
			}
			payload, err := db.payload(cell[n1+n2:], int(size))
			if err != nil {
				return fmt.Errorf("page %d: %w", pgno, err)
			}
			if err := fn(int64(rowid), payload); err != nil {
				return err
			}
		default:
			return fmt.Errorf("page %d: page type %d is not a table b-tree page (a WITHOUT ROWID table?)", pgno, kind)
		}
	}
	if kind == 5 {
		return db.walk(be.Uint32(p[hdr+8:]), depth+1, seen, fn)
	}
	return nil
}

// payload assembles a table leaf cell's payload of size bytes: the local
// part, then the overflow pages' chain.
func (db *sqliteDB) payload(cell []byte, size int) ([]byte, error) {
	u := db.usable
	x := u - 35
	local := size
	if size > x {
		m := (u-12)*32/255 - 23
		local = m + (size-m)%(u-4)
		if local > x {
			local = m
		}
	}
	if local > len(cell) {
		return nil, errors.New("payload exceeds the page")
	}
	out := append([]byte(nil), cell[:local]...)
	if local == size {
		return out, nil
	}
	if len(cell) < local+4 {
		return nil, errors.New("missing overflow page number")
	}
	next := binary.BigEndian.Uint32(cell[local:])
	for seen := 0; len(out) < size; seen++ {
		if next == 0 || seen > db.pages {
			return nil, errors.New("broken overflow chain")
		}
		p, err := db.page(next)
		if err != nil {
			return nil, err
		}
		n := min(size-len(out), u-4)
		out = append(out, p[4:4+n]...)
		next = binary.BigEndian.Uint32(p)
	}
	return out, nil
}

// record decodes a record into its values.
func record(b []byte) ([]any, error) {
	hsize, n := varint(b)
	if n == 0 || hsize > uint64(len(b)) || int(hsize) < n {
		return nil, errors.New("bad record header")
	}
	hdr, body := b[n:hsize], b[hsize:]
	var out []any
	for len(hdr) > 0 {
		st, k := varint(hdr)
		if k == 0 {
			return nil, errors.New("bad serial type")
		}
		hdr = hdr[k:]
		var size int
		switch {
		case st == 0 || st == 8 || st == 9:
		case st <= 4:
			size = int(st)
		case st == 5:
			size = 6
		case st == 6 || st == 7:
			size = 8
		case st >= 12:
			size = int((st - 12) / 2)
		default:
			return nil, fmt.Errorf("reserved serial type %d", st)
		}
		if size > len(body) {
			return nil, errors.New("record body too short")
		}
		v := body[:size]
		body = body[size:]
		switch {
		case st == 0:
			out = append(out, nil)
		case st == 8:
			out = append(out, int64(0))
		case st == 9:
			out = append(out, int64(1))
		case st == 7:
			out = append(out, math.Float64frombits(binary.BigEndian.Uint64(v)))
		case st <= 6:
			var x int64
			for i, c := range v {
				if i == 0 {
					x = int64(int8(c))
				} else {
					x = x<<8 | int64(c)
				}
			}
			out = append(out, x)
		case st%2 == 0:
			out = append(out, append([]byte(nil), v...))
		default:
			out = append(out, string(v))
		}
	}
	return out, nil
}

// table reads every row of a table, naming the values by the columns of
// its CREATE TABLE statement.
func (db *sqliteDB) table(name string) ([]sqliteRow, error) {
	var root uint32
	var sql string
	err := db.scanTable(1, func(_ int64, payload []byte) error {
		v, err := record(payload)
		if err != nil {
			return err
		}
		if len(v) >= 5 && v[0] == "table" && v[1] == name {
			r, _ := v[3].(int64)
			root = uint32(r)
			sql, _ = v[4].(string)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	if root == 0 {
		return nil, fmt.Errorf("no table %s", name)
	}
	cols, err := columns(sql)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	var rows []sqliteRow
	err = db.scanTable(root, func(rowid int64, payload []byte) error {
		v, err := record(payload)
		if err != nil {
			return err
		}
		if len(v) > len(cols) {
			return fmt.Errorf("row %d has %d values for %d columns", rowid, len(v), len(cols))
		}
		row := sqliteRow{RowID: rowid, Values: map[string]any{}}
		for i, c := range cols {
			if i < len(v) {
				row.Values[c] = v[i]
			} else {
				row.Values[c] = nil
			}
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return rows, nil
}

// columns returns the column names of a CREATE TABLE statement, in order.
// It splits the part between the outer parentheses at the commas of depth
// zero and skips table constraints.
func columns(sql string) ([]string, error) {
	open, end := strings.IndexByte(sql, '('), strings.LastIndexByte(sql, ')')
	if open < 0 || end < open {
		return nil, errors.New("cannot read the column list")
	}
	if strings.Contains(strings.ToUpper(sql[end:]), "WITHOUT ROWID") {
		return nil, errors.New("WITHOUT ROWID tables are not supported")
	}
	var defs []string
	depth, start := 0, open+1
	for i := open + 1; i < end; i++ {
		switch sql[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				defs = append(defs, sql[start:i])
				start = i + 1
			}
		}
	}
	defs = append(defs, sql[start:end])
	var cols []string
	for _, d := range defs {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT":
			continue
		}
		cols = append(cols, strings.Trim(f[0], "\"`[]"))
	}
	return cols, nil
}
