(module
  ;; Exact scores of nq queries against n rows of dims float32 each, row-major.
  ;; out[q * n + r] = dot(row r, query q)            when $l2 = 0
  ;;                = squared euclidean distance    when $l2 = 1
  ;; Rows are the outer loop so each row is read from memory once for all queries.
  (memory (export "memory") 1)
  (func (export "score") (param $mat i32) (param $n i32) (param $dims i32) (param $qs i32) (param $nq i32) (param $out i32) (param $l2 i32)
    (local $r i32) (local $g i32) (local $k i32) (local $row i32) (local $q i32)
    (local $a0 v128) (local $a1 v128) (local $d0 v128) (local $d1 v128)
    (local $s f32) (local $x f32) (local $v8 i32) (local $v4 i32) (local $stride i32)
    (local.set $v8 (i32.and (local.get $dims) (i32.const -8)))
    (local.set $v4 (i32.and (local.get $dims) (i32.const -4)))
    (local.set $stride (i32.shl (local.get $dims) (i32.const 2)))
    (local.set $row (local.get $mat))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $g (i32.const 0))
      (local.set $q (local.get $qs))
      (block $queries_done (loop $queries
        (br_if $queries_done (i32.ge_u (local.get $g) (local.get $nq)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (if (local.get $l2)
          (then
            (block $e8 (loop $l8
              (br_if $e8 (i32.ge_u (local.get $k) (local.get $v8)))
              (local.set $d0 (f32x4.sub
                (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2))))))
              (local.set $d1 (f32x4.sub
                (v128.load offset=16 (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2))))))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d0) (local.get $d0))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $d1) (local.get $d1))))
              (local.set $k (i32.add (local.get $k) (i32.const 8)))
              (br $l8)))
            (block $e4 (loop $l4
              (br_if $e4 (i32.ge_u (local.get $k) (local.get $v4)))
              (local.set $d0 (f32x4.sub
                (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2))))))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $d0) (local.get $d0))))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $l4))))
          (else
            (block $e8 (loop $l8
              (br_if $e8 (i32.ge_u (local.get $k) (local.get $v8)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
                (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2)))))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul
                (v128.load offset=16 (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 8)))
              (br $l8)))
            (block $e4 (loop $l4
              (br_if $e4 (i32.ge_u (local.get $k) (local.get $v4)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
                (v128.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br $l4)))))
        (local.set $a0 (f32x4.add (local.get $a0) (local.get $a1)))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
          (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        (block $e1 (loop $l1
          (br_if $e1 (i32.ge_u (local.get $k) (local.get $dims)))
          (local.set $x (f32.sub
            (f32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
            (f32.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $s (f32.add (local.get $s)
            (select
              (f32.mul (local.get $x) (local.get $x))
              (f32.mul
                (f32.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 2))))
                (f32.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 2)))))
              (local.get $l2))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $l1)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $g) (local.get $n)) (local.get $r)) (i32.const 2)))
          (local.get $s))
        (local.set $q (i32.add (local.get $q) (local.get $stride)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $queries)))
      (local.set $row (i32.add (local.get $row) (local.get $stride)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))))
