//! One key, its value and its deadline in a single heap block behind a thin
//! pointer.
//!
//! This is the store's memory layout, and most of kvstore's memory for small
//! keys. A hash-table slot holds only this 8-byte pointer, and the block
//! holds everything else with a few bytes of header:
//!
//! ```text
//! [tag: u8][deadline: u64 LE, if tag has EXPIRES][key length: varint][key][payload]
//!   STR:  payload = [length: varint][bytes]        short strings, inline
//!   INT:  payload = [i64 LE]
//!   SEED: payload = [length: varint][the value in the seed encoding]
//!   RAW:  payload = [pointer to a StrBuf]           long or appended strings
//!   OBJ:  payload = [pointer to an Object]          lists, hashes, sets, zsets
//! ```
//!
//! A 16-byte key with a 16-byte string takes 35 bytes, one allocation; a
//! deadline adds 8.
//!
//! The table slot itself carries the key's access field for `maxmemory`
//! eviction (16 bits: an LRU clock, or an LFU decay time and counter; see
//! `evict.rs`) in the top bits of the block's address, which user-space
//! addresses leave zero on the 64-bit platforms Linux runs on (48 bits of
//! address, unless a program asks the kernel for more, which neither the
//! allocator nor anything here does). So eviction costs no memory per
//! key. Readers update the field under a shared lock, so the slot is an
//! atomic word, read with relaxed loads (plain loads on those platforms). Strings past [`INLINE_MAX`] and containers live in a
//! block of their own, so that RENAME and MOVE, which rebuild the record
//! under a new key, copy a pointer and never the value, and APPEND can grow
//! a string in place with spare capacity.
//!
//! The block's length is not stored: it is read back from the header,
//! which is all the unsafe code here relies on. A block of 9 to 128 bytes
//! comes from a slab of blocks of its exact length (`slab.rs`), one of
//! another length is a `Box<[u8]>`: the length says which.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use kvstore_protocol::{encode, Decoder, Limits, Value};

use super::object::Object;
use super::slab;
use super::strbuf::StrBuf;
use super::varint::{read_varint, read_varint_raw, varint_len, write_varint};

const STR: u8 = 0;
const INT: u8 = 1;
const SEED: u8 = 2;
const RAW: u8 = 3;
const OBJ: u8 = 4;
const KIND: u8 = 0x0f;
/// On a STR: Redis would hold this string as a string even if it reads as
/// an integer (it was made by INCRBYFLOAT), so `OBJECT ENCODING` says so.
const NOT_INT: u8 = 0x40;
const EXPIRES: u8 = 0x80;

/// Strings longer than this live outside the record.
pub const INLINE_MAX: usize = 128;

/// Redis's embstr limit: `OBJECT ENCODING` says `embstr` up to this length.
const EMBSTR_MAX: usize = 44;

/// The block's address in the low [`ADDR_BITS`] bits, the access field in
/// the bits above. (Send and Sync follow from the atomic: a Record owns its
/// block, and the StrBuf or Object a RAW or OBJ block points to, outright,
/// like a Box; only the access field changes under a shared reference.)
pub struct Record(AtomicU64);

pub use super::access::ACCESS_BITS;
const ADDR_BITS: u32 = 64 - ACCESS_BITS;
const ADDR_MASK: u64 = (1 << ADDR_BITS) - 1;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("records keep their access field in the top bits of a 64-bit address");

/// A value as it sits in a record, without copying it out.
pub enum ValueRef<'a> {
    Str(&'a [u8]),
    Int(i64),
    /// A seed-protocol value that is not a plain string or integer, in the
    /// seed encoding.
    Seed(&'a [u8]),
    Obj(&'a Object),
}

impl ValueRef<'_> {
    /// The name Redis's `TYPE` gives this value. A seed array is a list, a
    /// dictionary a hash, a set a set, and every other seed scalar a string
    /// (see docs/redis-compat.md).
    pub fn redis_type(&self) -> &'static str {
        match self {
            ValueRef::Seed(enc) => match enc.first() {
                Some(b'*') => "list",
                Some(b'%') => "hash",
                Some(b'~') => "set",
                _ => "string",
            },
            ValueRef::Obj(o) => o.type_name(),
            _ => "string",
        }
    }

    /// The name `OBJECT ENCODING` gives the equivalent Redis state.
    pub fn encoding(&self) -> &'static str {
        match self {
            ValueRef::Int(_) => "int",
            ValueRef::Str(s) if super::object::canonical_int(s).is_some() => "int",
            ValueRef::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
            ValueRef::Str(_) => "raw",
            ValueRef::Seed(enc) => match enc.first() {
                Some(b'*') => "quicklist",
                Some(b'%') | Some(b'~') => "hashtable",
                _ => "raw",
            },
            ValueRef::Obj(o) => o.encoding(),
        }
    }

    /// The value, copied out.
    pub fn to_value(&self) -> Value {
        match self {
            ValueRef::Str(b) => Value::Bulk(Bytes::copy_from_slice(b)),
            ValueRef::Int(n) => Value::Integer(*n),
            ValueRef::Seed(enc) => decode_stored(enc),
            ValueRef::Obj(o) => o.to_value(),
        }
    }

    /// The bytes Redis would hold for a string value; `None` for other types.
    pub fn as_str(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        match self {
            ValueRef::Str(b) => Some(Cow::Borrowed(b)),
            ValueRef::Int(n) => Some(Cow::Owned(n.to_string().into_bytes())),
            ValueRef::Seed(enc) => match decode_stored(enc) {
                Value::Double(d) => Some(Cow::Owned(d.to_string().into_bytes())),
                _ => None,
            },
            ValueRef::Obj(_) => None,
        }
    }

    /// True for the values Redis's string commands work on.
    pub fn is_string(&self) -> bool {
        self.redis_type() == "string"
    }
}

/// What a new record holds.
pub enum NewValue<'a> {
    Str(&'a [u8]),
    /// A string Redis would not store as an integer, whatever it spells.
    Text(&'a [u8]),
    Int(i64),
    /// Any protocol value: strings and integers are stored as such, the
    /// rest in the seed encoding.
    Value(&'a Value),
    /// A string already in a buffer of its own (kept with its capacity).
    Owned(Vec<u8>),
    Buf(StrBuf),
    Obj(Box<Object>),
}

enum Payload<'a> {
    Inline(&'a [u8]),
    Int(i64),
    Ptr(usize),
}

impl Record {
    pub fn new(key: &[u8], value: NewValue<'_>, deadline: Option<u64>) -> Record {
        match value {
            NewValue::Str(b) if b.len() > INLINE_MAX => {
                Self::new(key, NewValue::Buf(StrBuf::from_slice(b)), deadline)
            }
            NewValue::Str(b) => Self::build(key, STR, deadline, Payload::Inline(b)),
            NewValue::Text(b) if b.len() > INLINE_MAX => {
                Self::new(key, NewValue::Buf(StrBuf::from_slice(b)), deadline)
            }
            NewValue::Text(b) => Self::build(key, STR | NOT_INT, deadline, Payload::Inline(b)),
            NewValue::Int(n) => Self::build(key, INT, deadline, Payload::Int(n)),
            NewValue::Value(Value::Bulk(b) | Value::Simple(b)) => {
                Self::new(key, NewValue::Str(b), deadline)
            }
            NewValue::Value(Value::Integer(n)) => Self::new(key, NewValue::Int(*n), deadline),
            NewValue::Value(other) => {
                if let Some(o) = Object::from_seed(other) {
                    return Self::new(key, NewValue::Obj(Box::new(o)), deadline);
                }
                let mut enc = BytesMut::new();
                encode(other, &mut enc);
                Self::build(key, SEED, deadline, Payload::Inline(&enc))
            }
            NewValue::Owned(v) => Self::new(key, NewValue::Buf(StrBuf::from_vec(v)), deadline),
            NewValue::Buf(b) => {
                let ptr = Box::into_raw(Box::new(b)) as usize;
                Self::build(key, RAW, deadline, Payload::Ptr(ptr))
            }
            NewValue::Obj(o) => {
                let ptr = Box::into_raw(o) as usize;
                Self::build(key, OBJ, deadline, Payload::Ptr(ptr))
            }
        }
    }

    /// A record holding the string `value` and no deadline.
    pub fn new_str(key: &[u8], value: &[u8]) -> Record {
        Self::new(key, NewValue::Str(value), None)
    }

    fn build(key: &[u8], kind: u8, deadline: Option<u64>, payload: Payload<'_>) -> Record {
        let payload_len = match &payload {
            Payload::Inline(b) => varint_len(b.len()) + b.len(),
            Payload::Int(_) | Payload::Ptr(_) => 8,
        };
        let deadline_len = if deadline.is_some() { 8 } else { 0 };
        let len = 1 + deadline_len + varint_len(key.len()) + key.len() + payload_len;
        let fill = |block: &mut [u8]| {
            block[0] = kind | if deadline.is_some() { EXPIRES } else { 0 };
            let mut at = 1;
            if let Some(d) = deadline {
                block[1..9].copy_from_slice(&d.to_le_bytes());
                at = 9;
            }
            at += write_varint(&mut block[at..], key.len());
            block[at..at + key.len()].copy_from_slice(key);
            at += key.len();
            match payload {
                Payload::Inline(b) => {
                    at += write_varint(&mut block[at..], b.len());
                    block[at..at + b.len()].copy_from_slice(b);
                    at += b.len();
                }
                Payload::Int(n) => {
                    block[at..at + 8].copy_from_slice(&n.to_le_bytes());
                    at += 8;
                }
                Payload::Ptr(p) => {
                    block[at..at + 8].copy_from_slice(&(p as u64).to_le_bytes());
                    at += 8;
                }
            }
            debug_assert_eq!(at, block.len());
        };
        if slab::fits(len) {
            let mut block = [0u8; slab::MAX];
            fill(&mut block[..len]);
            return Self::from_block(slab::alloc_copy(&block[..len]));
        }
        // Exactly sized: shrinking a larger buffer later would leave the
        // block in the allocator's bigger size class.
        let mut block = vec![0u8; len].into_boxed_slice();
        fill(&mut block);
        Self::from_block(Box::into_raw(block) as *mut u8)
    }

    /// A new block holding a copy of `bytes`: from a slab if it is short
    /// enough, else the allocator's.
    fn alloc_block(bytes: &[u8]) -> *mut u8 {
        if slab::fits(bytes.len()) {
            return slab::alloc_copy(bytes);
        }
        let copy: Box<[u8]> = bytes.into();
        Box::into_raw(copy) as *mut u8
    }

    /// Frees this record's block, wherever it came from, and nothing it
    /// points to.
    ///
    /// # Safety
    /// The record must not be used after this, nor dropped.
    unsafe fn free_block(&self) {
        let len = self.block().len();
        if slab::fits(len) {
            // SAFETY: blocks of this length come from `slab::alloc_copy`
            // (see `build` and `alloc_block`), and the caller lets this one go.
            unsafe { slab::free(self.base(), len) };
        } else {
            let slice = std::ptr::slice_from_raw_parts_mut(self.base(), len);
            // SAFETY: the pointer and length are those of a Box<[u8]>
            // leaked by `build` or `alloc_block`; the caller lets it go.
            drop(unsafe { Box::from_raw(slice) });
        }
    }

    /// What the block costs the allocator (or its slab).
    fn block_footprint(&self) -> usize {
        let len = self.block().len();
        if slab::fits(len) {
            slab::footprint(len)
        } else {
            super::object::alloc_size(len)
        }
    }

    /// A record owning the leaked block at `raw`, with a fresh access field.
    fn from_block(raw: *mut u8) -> Record {
        let addr = raw.expose_provenance() as u64;
        debug_assert_eq!(addr & !ADDR_MASK, 0, "a user-space address fits 48 bits");
        let access = u64::from(super::access::fresh_access()) << ADDR_BITS;
        Record(AtomicU64::new(addr | access))
    }

    /// The block.
    #[inline]
    fn base(&self) -> *mut u8 {
        std::ptr::with_exposed_provenance_mut((self.0.load(Ordering::Relaxed) & ADDR_MASK) as usize)
    }

    /// Where the record's block lives: the same for as long as the record
    /// does, and read without touching the block.
    #[inline]
    pub fn addr(&self) -> usize {
        (self.0.load(Ordering::Relaxed) & ADDR_MASK) as usize
    }

    /// The access field (see the module's notes).
    #[inline]
    pub fn access(&self) -> u32 {
        (self.0.load(Ordering::Relaxed) >> ADDR_BITS) as u32
    }

    /// Sets the access field. Allowed under a shared reference: only this
    /// field ever changes that way, and two readers racing to set it only
    /// decide which of their values stays.
    #[inline]
    pub fn set_access(&self, v: u32) {
        let addr = self.0.load(Ordering::Relaxed) & ADDR_MASK;
        self.0
            .store(addr | (u64::from(v) << ADDR_BITS), Ordering::Relaxed);
    }

    #[inline]
    fn tag(&self) -> u8 {
        // SAFETY: every block starts with its tag.
        unsafe { *self.base() }
    }

    #[inline]
    fn key_offset(&self) -> usize {
        if self.tag() & EXPIRES != 0 {
            9
        } else {
            1
        }
    }

    /// The whole block. Its length is recomputed from the header.
    fn block(&self) -> &[u8] {
        let base = self.base();
        let at = self.key_offset();
        // SAFETY: the block was built by `build` in exactly this layout, so
        // each read below stays inside it: the tag, the deadline if the tag
        // says so, a complete key-length varint, the key, then a complete
        // payload. The lengths read are the ones written, so `len` is the
        // block's true length.
        unsafe {
            let (klen, n) = read_varint_raw(base.add(at));
            let payload = base.add(at + n + klen);
            let len = match self.tag() & KIND {
                INT | RAW | OBJ => at + n + klen + 8,
                _ => {
                    let (vlen, m) = read_varint_raw(payload);
                    at + n + klen + m + vlen
                }
            };
            std::slice::from_raw_parts(base, len)
        }
    }

    fn payload(&self) -> &[u8] {
        let block = self.block();
        let at = self.key_offset();
        let (klen, n) = read_varint(&block[at..]);
        &block[at + n + klen..]
    }

    fn payload_mut(&mut self) -> &mut [u8] {
        let len = self.block().len();
        let start = len - self.payload().len();
        // SAFETY: the block is `len` bytes long (see `block`), owned by
        // this record, and `&mut self` makes this the only reference.
        let block = unsafe { std::slice::from_raw_parts_mut(self.base(), len) };
        &mut block[start..]
    }

    fn pointer(&self) -> usize {
        let mut p = [0u8; 8];
        p.copy_from_slice(&self.payload()[..8]);
        u64::from_le_bytes(p) as usize
    }

    /// Asks the CPU to start loading this record's block, so that a lookup
    /// made shortly after does not stall on it.
    #[inline]
    pub fn prefetch(&self) {
        prefetch_at(self.base());
    }

    /// The key. This is what every hash probe compares, so it reads only
    /// the key's length rather than walking the whole header.
    #[inline]
    pub fn key(&self) -> &[u8] {
        let base = self.base();
        let at = self.key_offset();
        // SAFETY: `build` wrote the tag, the deadline if flagged, then a
        // complete varint, then that many key bytes, all inside the block.
        unsafe {
            let (klen, n) = read_varint_raw(base.add(at));
            std::slice::from_raw_parts(base.add(at + n), klen)
        }
    }

    /// The deadline, in Unix milliseconds, if the key has one.
    #[inline]
    pub fn deadline(&self) -> Option<u64> {
        if self.tag() & EXPIRES == 0 {
            return None;
        }
        let mut d = [0u8; 8];
        // SAFETY: a flagged block holds 8 deadline bytes after the tag.
        unsafe { std::ptr::copy_nonoverlapping(self.base().add(1), d.as_mut_ptr(), 8) };
        Some(u64::from_le_bytes(d))
    }

    /// True if the deadline is at or before `now` (Redis expires a key
    /// when its time is reached).
    #[inline]
    pub fn expired(&self, now: u64) -> bool {
        self.deadline().is_some_and(|d| d <= now)
    }

    /// Sets or clears the deadline. Changing a deadline is done in place;
    /// adding or removing one rebuilds the header (the value's bytes are
    /// copied only for inline values, which are short).
    pub fn set_deadline(&mut self, deadline: Option<u64>) {
        match (self.deadline(), deadline) {
            (Some(_), Some(d)) => {
                // SAFETY: a flagged block holds 8 deadline bytes after the tag.
                unsafe {
                    std::ptr::copy_nonoverlapping(d.to_le_bytes().as_ptr(), self.base().add(1), 8)
                };
            }
            (None, None) => {}
            _ => {
                let key = self.key().to_vec();
                *self = self.rekeyed(&key, deadline);
            }
        }
    }

    /// This record's value under `key` with `deadline`, leaving `self`
    /// without it. A RAW or OBJ value moves by pointer.
    pub fn rekeyed(&mut self, key: &[u8], deadline: Option<u64>) -> Record {
        let kind = self.tag() & KIND;
        // The tag as it is, but for the deadline flag `build` sets anew.
        let tag = self.tag() & !EXPIRES;
        let payload = self.payload();
        let new = match kind {
            INT | RAW | OBJ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&payload[..8]);
                let p = Payload::Int(i64::from_le_bytes(b));
                Self::build(key, tag, deadline, p)
            }
            _ => {
                let (len, n) = read_varint(payload);
                Self::build(key, tag, deadline, Payload::Inline(&payload[n..n + len]))
            }
        };
        // A renamed key keeps its standing for eviction, as in Redis.
        new.set_access(self.access());
        if kind == RAW || kind == OBJ {
            // The pointer now belongs to `new`: leave `self` an empty
            // inline string so that its drop frees only its own block.
            let k = self.key().to_vec();
            let emptied = Self::build(&k, STR, None, Payload::Inline(b""));
            let old = std::mem::replace(self, emptied);
            // SAFETY: `old`'s block is freed without touching the pointer
            // it held, which `new` owns now.
            unsafe { old.free_block_only() };
        }
        new
    }

    /// Frees the block without dropping what a RAW or OBJ payload points to.
    ///
    /// # Safety
    /// The pointee must be owned by someone else from now on.
    unsafe fn free_block_only(self) {
        // SAFETY: `forget` below keeps Drop from freeing it again.
        unsafe { self.free_block() };
        std::mem::forget(self);
    }

    pub fn view(&self) -> ValueRef<'_> {
        let payload = self.payload();
        match self.tag() & KIND {
            INT => {
                let mut le = [0u8; 8];
                le.copy_from_slice(&payload[..8]);
                ValueRef::Int(i64::from_le_bytes(le))
            }
            STR => {
                let (len, n) = read_varint(payload);
                ValueRef::Str(&payload[n..n + len])
            }
            RAW => {
                // SAFETY: a RAW payload is the pointer of a leaked
                // Box<StrBuf> that this record owns.
                let v = unsafe { &*(self.pointer() as *const StrBuf) };
                ValueRef::Str(v.as_slice())
            }
            OBJ => {
                // SAFETY: an OBJ payload is the pointer of a leaked
                // Box<Object> that this record owns.
                ValueRef::Obj(unsafe { &*(self.pointer() as *const Object) })
            }
            _ => {
                let (len, n) = read_varint(payload);
                ValueRef::Seed(&payload[n..n + len])
            }
        }
    }

    /// The value, copied out.
    pub fn value(&self) -> Value {
        self.view().to_value()
    }

    /// The name `OBJECT ENCODING` gives the equivalent Redis state, which
    /// for a string depends on how it was made: one changed in place
    /// (APPEND, SETRANGE) is `raw` in Redis whatever its length.
    pub fn encoding(&self) -> &'static str {
        match self.tag() & KIND {
            RAW => "raw",
            STR if self.tag() & NOT_INT != 0 => match self.view() {
                ValueRef::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
                _ => "raw",
            },
            _ => self.view().encoding(),
        }
    }

    /// `OBJECT REFCOUNT`: Redis shares one object for each integer from 0
    /// to 9999 and reports such a value's count as `INT_MAX`; every other
    /// value has a count of one.
    pub fn refcount(&self) -> i64 {
        let shared = match self.view() {
            ValueRef::Int(n) => (0..10_000).contains(&n),
            ValueRef::Str(s) if self.tag() & KIND == STR && self.tag() & NOT_INT == 0 => {
                super::object::canonical_int(s).is_some_and(|n| (0..10_000).contains(&n))
            }
            _ => false,
        };
        if shared {
            i64::from(i32::MAX)
        } else {
            1
        }
    }

    /// The container, to change in place; `None` for any other value.
    pub fn object_mut(&mut self) -> Option<&mut Object> {
        if self.tag() & KIND != OBJ {
            return None;
        }
        // SAFETY: an OBJ payload is the pointer of a Box<Object> that this
        // record owns, and `&mut self` makes this the only reference.
        Some(unsafe { &mut *(self.pointer() as *mut Object) })
    }

    /// The string as a growable buffer, converting an inline string or an
    /// integer first; `None` if the value is not a string. Used by APPEND
    /// and SETRANGE, whose cost then follows the bytes they add.
    pub fn string_mut(&mut self) -> Option<&mut StrBuf> {
        match self.tag() & KIND {
            RAW => {}
            STR | INT => {
                let bytes = self.view().as_str()?.into_owned();
                let key = self.key().to_vec();
                *self = Record::new(&key, NewValue::Owned(bytes), self.deadline());
            }
            _ => return None,
        }
        // SAFETY: a RAW payload is the pointer of a Box<StrBuf> that this
        // record owns, and `&mut self` makes this the only reference.
        Some(unsafe { &mut *(self.pointer() as *mut StrBuf) })
    }

    /// Replaces an integer value in place; false if it is not an integer.
    pub fn set_int(&mut self, n: i64) -> bool {
        if self.tag() & KIND != INT {
            return false;
        }
        self.payload_mut()[..8].copy_from_slice(&n.to_le_bytes());
        true
    }

    /// The value in a form that keeps everything: its kind (`v` for a
    /// string or seed value, else the container's `TYPE` name) and its
    /// seed view. [`Record::from_parts`] is the inverse; snapshots and
    /// `DUMP` use the pair.
    pub fn to_parts(&self) -> (&'static str, Value) {
        match self.view() {
            ValueRef::Obj(o) => (o.type_name(), o.to_value()),
            v => ("v", v.to_value()),
        }
    }

    pub fn from_parts(
        key: &[u8],
        kind: &str,
        value: &Value,
        deadline: Option<u64>,
    ) -> Result<Record, String> {
        if kind == "v" {
            return Ok(Record::new(key, NewValue::Value(value), deadline));
        }
        let obj = Object::from_value(kind, value)?;
        Ok(Record::new(key, NewValue::Obj(Box::new(obj)), deadline))
    }

    /// The bytes this record holds on the heap, for `MEMORY USAGE`: its
    /// block and what its value holds out of line (the database adds the
    /// key's share of its table). A large container's members are sampled
    /// (`samples`, 0 for all).
    pub fn memory(&self, samples: usize) -> usize {
        let own = self.block_footprint();
        match self.tag() & KIND {
            RAW => {
                // SAFETY: a RAW payload is the pointer of a Box<StrBuf> that
                // this record owns.
                let s = unsafe { &*(self.pointer() as *const StrBuf) };
                own + super::object::alloc_size(std::mem::size_of::<StrBuf>()) + s.memory()
            }
            OBJ => match self.view() {
                ValueRef::Obj(o) => own + o.memory(samples),
                _ => own,
            },
            _ => own,
        }
    }

    /// A rough count of the bytes this key costs, to decide when a free
    /// should go off the request path.
    pub fn weight(&self) -> usize {
        let base = self.block().len();
        match self.view() {
            ValueRef::Obj(o) => base + o.len() * 16,
            ValueRef::Str(s) if self.tag() & KIND == RAW => base + s.len(),
            _ => base,
        }
    }
}

/// Asks the CPU to start loading the cache line at `p`, so that a read
/// made shortly after does not stall on it.
#[inline]
pub(super) fn prefetch_at<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and never
    // changes memory, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Decodes a value that `Record::new` encoded. It was accepted under the
/// server's limits when it arrived, so none are applied again here.
fn decode_stored(enc: &[u8]) -> Value {
    let limits = Limits {
        max_bulk_len: usize::MAX >> 1,
        max_elements: usize::MAX >> 1,
        max_depth: super::MAX_NESTING_CEILING + 1,
        max_line: usize::MAX >> 1,
        max_frame_len: usize::MAX >> 1,
    };
    let mut buf = BytesMut::from(enc);
    // Only bytes our own encoder wrote are ever stored, so this cannot
    // fail; null is the least harmful answer if it somehow did.
    Decoder::new(limits)
        .decode(&mut buf)
        .ok()
        .flatten()
        .unwrap_or(Value::Null)
}

impl Drop for Record {
    fn drop(&mut self) {
        match self.tag() & KIND {
            // SAFETY: RAW and OBJ payloads are pointers of Boxes leaked by
            // `new` (or moved in by `rekeyed`) that this record owns.
            RAW => drop(unsafe { Box::from_raw(self.pointer() as *mut StrBuf) }),
            OBJ => drop(unsafe { Box::from_raw(self.pointer() as *mut Object) }),
            _ => {}
        }
        // SAFETY: the record is going away, and nothing else frees it.
        unsafe { self.free_block() };
    }
}

impl Clone for Record {
    fn clone(&self) -> Record {
        match self.view() {
            ValueRef::Obj(o) => Record::new(
                self.key(),
                NewValue::Obj(Box::new(o.clone())),
                self.deadline(),
            ),
            ValueRef::Str(s) if self.tag() & KIND == RAW => Record::new(
                self.key(),
                NewValue::Buf(StrBuf::from_slice(s)),
                self.deadline(),
            ),
            _ => {
                let r = Record::from_block(Self::alloc_block(self.block()));
                r.set_access(self.access());
                r
            }
        }
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Record")
            .field(&String::from_utf8_lossy(self.key()))
            .field(&self.value())
            .field(&self.deadline())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::object::{Hash, List};
    use super::*;

    fn round_trip(key: &[u8], v: Value) {
        for deadline in [None, Some(1_700_000_000_123)] {
            let r = Record::new(key, NewValue::Value(&v), deadline);
            assert_eq!(r.key(), key);
            assert_eq!(r.value(), v);
            assert_eq!(r.deadline(), deadline);
            let c = r.clone();
            drop(r);
            assert_eq!(c.key(), key);
            assert_eq!(c.value(), v);
            assert_eq!(c.deadline(), deadline);
        }
    }

    #[test]
    fn every_kind_of_value() {
        round_trip(b"k", Value::bulk("v"));
        round_trip(b"", Value::bulk(""));
        round_trip(b"n", Value::Integer(i64::MIN));
        round_trip(b"n", Value::Integer(-1));
        round_trip(b"null", Value::Null);
        round_trip(
            b"nested",
            Value::Array(vec![
                Value::Integer(1),
                Value::Map(vec![(Value::bulk("a"), Value::Null)]),
            ]),
        );
        round_trip(b"b", Value::Boolean(true));
        round_trip(b"d", Value::Double(2.5));
    }

    #[test]
    fn long_keys_and_values_need_multi_byte_lengths() {
        let key = vec![7u8; 300];
        let val = Value::Bulk(Bytes::from(vec![9u8; 70_000]));
        round_trip(&key, val);
    }

    #[test]
    fn small_entries_fit_forty_bytes() {
        let r = Record::new_str(b"key:000000000001", b"0123456789abcdef");
        assert_eq!(r.block().len(), 35);
        let r = Record::new(
            b"key:000000000001",
            NewValue::Str(b"0123456789abcdef"),
            Some(1),
        );
        assert_eq!(r.block().len(), 43);
        assert_eq!(std::mem::size_of::<Record>(), 8);
    }

    #[test]
    fn the_access_field_leaves_the_record_alone_and_moves_with_it() {
        let mut r = Record::new(b"k", NewValue::Int(7), None);
        r.set_access(0xbeef);
        assert_eq!(
            (r.access(), r.key(), r.value()),
            (0xbeef, &b"k"[..], Value::Integer(7))
        );
        r.set_deadline(Some(9));
        assert_eq!((r.access(), r.deadline()), (0xbeef, Some(9)));
        let c = r.clone();
        assert_eq!((c.access(), c.value()), (0xbeef, Value::Integer(7)));
        r.set_access(u32::from(u16::MAX));
        assert_eq!(r.value(), Value::Integer(7));
    }

    #[test]
    fn deadlines_are_set_changed_and_cleared() {
        let mut r = Record::new_str(b"k", b"v");
        assert!(!r.expired(u64::MAX));
        r.set_deadline(Some(100));
        assert_eq!(r.deadline(), Some(100));
        assert!(r.expired(100) && !r.expired(99));
        r.set_deadline(Some(200));
        assert_eq!((r.key(), r.deadline()), (&b"k"[..], Some(200)));
        r.set_deadline(None);
        assert_eq!(r.deadline(), None);
        assert_eq!(r.value(), Value::bulk("v"));
    }

    #[test]
    fn strings_grow_in_place_and_keep_their_deadline() {
        let mut r = Record::new(b"k", NewValue::Int(12), Some(5));
        let buf = r.string_mut().unwrap();
        buf.try_reserve(2).unwrap();
        buf.extend_from_slice(b"34");
        assert_eq!(r.value(), Value::bulk("1234"));
        assert_eq!(r.deadline(), Some(5));
        let buf = r.string_mut().unwrap();
        buf.try_reserve(1000).unwrap();
        buf.extend_from_slice(&[b'x'; 1000]);
        assert_eq!(r.view().as_str().unwrap().len(), 1004);
        assert_eq!(r.view().encoding(), "raw");
        let c = r.clone();
        drop(r);
        assert_eq!(c.view().as_str().unwrap().len(), 1004);
    }

    #[test]
    fn containers_move_by_pointer_when_rekeyed() {
        let mut list = List::new();
        list.push(b"a", false);
        let mut r = Record::new(b"old", NewValue::Obj(Box::new(Object::List(list))), None);
        let obj_before = r.view();
        let p_before = match obj_before {
            ValueRef::Obj(o) => o as *const Object,
            _ => panic!("not an object"),
        };
        let moved = r.rekeyed(b"new", Some(9));
        drop(r);
        assert_eq!(moved.key(), b"new");
        assert_eq!(moved.deadline(), Some(9));
        match moved.view() {
            ValueRef::Obj(o) => {
                assert_eq!(o as *const Object, p_before, "moved, not copied");
                assert_eq!(o.type_name(), "list");
            }
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn objects_change_in_place() {
        let mut r = Record::new(
            b"h",
            NewValue::Obj(Box::new(Object::Hash(Hash::new()))),
            None,
        );
        if let Some(Object::Hash(h)) = r.object_mut() {
            h.insert(b"f", b"v");
        }
        assert_eq!(r.view().redis_type(), "hash");
        assert_eq!(
            r.value(),
            Value::Map(vec![(Value::bulk("f"), Value::bulk("v"))])
        );
        assert!(Record::new_str(b"s", b"x").object_mut().is_none());
    }

    #[test]
    fn encodings_follow_how_a_string_was_made() {
        assert_eq!(Record::new_str(b"k", b"123").encoding(), "int");
        assert_eq!(Record::new_str(b"k", b"0123").encoding(), "embstr");
        assert_eq!(Record::new_str(b"k", &[b'x'; 45]).encoding(), "raw");
        let mut made = Record::new(b"k", NewValue::Text(b"101"), None);
        assert_eq!(made.encoding(), "embstr", "INCRBYFLOAT's result");
        made.set_deadline(Some(5));
        assert_eq!(made.encoding(), "embstr", "kept when the header is rebuilt");
        let mut appended = Record::new_str(b"k", b"hi");
        let buf = appended.string_mut().unwrap();
        buf.try_reserve(1).unwrap();
        buf.extend_from_slice(b"x");
        assert_eq!(appended.encoding(), "raw");
        assert_eq!(
            Record::new(b"k", NewValue::Int(5), None).refcount(),
            i64::from(i32::MAX)
        );
        assert_eq!(Record::new_str(b"k", b"10000").refcount(), 1);
    }

    #[test]
    fn integers_change_in_place() {
        let mut r = Record::new(b"n", NewValue::Int(1), None);
        assert!(r.set_int(42));
        assert_eq!(r.value(), Value::Integer(42));
        assert!(!Record::new_str(b"s", b"1").set_int(2));
    }
}
