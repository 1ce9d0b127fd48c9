//! Existence search: whether *some* binding satisfies a pattern, without enumerating them all.
//!
//! The enumerating evaluator in `eval.rs` builds every binding of every sub-expression, which is
//! what `meridian pattern match` needs to list the observations that take part in a match, but
//! it is exponential for `REPEATS n TIMES` over many equivalent observations (there are
//! C(60, 30) ways to pick 30 of 60). A yes/no answer needs only one binding, so this module
//! searches for one depth first:
//!
//! - Each sub-expression is searched in continuation-passing style: it adds observation
//!   instances to one shared binding and calls the continuation (the rest of the pattern); on
//!   failure it takes them back and tries the next choice. The first complete binding ends the
//!   search.
//! - Qualifiers and `FOLLOWEDBY` become *constraints* checked whenever an instance is added, not
//!   filters applied to finished bindings: `WITHIN` bounds the extent of what the qualified
//!   expression has added so far, `START`/`STOP` bounds each of its observations, and
//!   `FOLLOWEDBY` requires every observation of the later operand to end no earlier than the
//!   latest start of the earlier ones. Adding instances only ever makes an extent worse, so a
//!   violated constraint prunes the whole subtree.
//! - `REPEATS n` picks its n operand bindings in a canonical (non-decreasing) order, so each
//!   multiset of bindings is tried once. Over a single `[…]` it picks observations by position,
//!   several instances at a time, and stops as soon as the compatible capacity left cannot reach n.
//!
//! - Before the operands of an `AND` or `FOLLOWEDBY` are bound in turn, the later operands are
//!   searched for alone, in the least constrained state any binding of the earlier one can
//!   leave; if they have none, no choice for the earlier operand is tried.
//! - `REPEATS` over a `[…]` whose observations no other `[…]` matches remembers the states it
//!   failed from (position, instances left, extent of what it picked): which of those
//!   observations it took matters to the rest of the search only through their extent.
//!
//! The search is exact (it finds a binding whenever the enumeration would) and counts its moves
//! against the same step limit as the enumeration, which stays the safety net for adversarial
//! input; its recursion depth is bounded by [`MAX_SEARCH_DEPTH`].

use std::cmp::Ordering;
use std::collections::HashSet;
use std::rc::Rc;

use crate::Version;
use crate::error::Error;
use crate::eval::{Filter, Node, Test, observation_matches};
use crate::observation::Observations;
use crate::timestamp::Timestamp;
use crate::view::ObjectView;

/// The most observation entries one binding under construction may hold; deeper searches stop
/// with [`Error::LimitExceeded`] instead of exhausting the stack.
pub(crate) const MAX_SEARCH_DEPTH: usize = 512;

/// A condition on the instances added since a position of [`Search::added`].
#[derive(Clone, Copy, Debug)]
enum Constraint {
    /// `WITHIN`: the instances added since `from` fit in a window of `nanos`.
    Within { from: usize, nanos: i128 },
    /// `FOLLOWEDBY`: each observation added ends no earlier than `at`.
    NotBefore(Timestamp),
    /// `START`/`STOP`: each observation added overlaps `[start, stop)`.
    Window(Timestamp, Timestamp),
}

/// What the rest of the pattern does with a binding; `Ok(true)` ends the search.
type Next<'k, 'o, 'a, V> = &'k mut dyn FnMut(&mut Search<'o, 'a, V>) -> Result<bool, Error>;

/// One search over one set of observations.
pub(crate) struct Search<'o, 'a, V> {
    observations: &'o Observations<'a, V>,
    version: Version,
    /// Per observation-expression id: the observations it matches, computed on first use.
    candidates: Vec<Option<Rc<[u32]>>>,
    /// Instances of each observation in the binding under construction.
    used: Vec<u64>,
    /// The binding under construction, in the order its entries were added.
    added: Vec<(u32, u64)>,
    constraints: Vec<Constraint>,
    /// The choices made so far (candidate positions, `OR` branches, counts taken), in the
    /// order the search makes them; each is tried in increasing order.
    trace: Vec<u64>,
    steps: usize,
    limit: usize,
    /// An observation to try first (for finding a binding that contains it).
    prefer: Option<u32>,
    /// Per observation-expression id: whether another one matches some of the same
    /// observations (computed for patterns with `REPEATS` over a `[…]`; empty otherwise).
    overlapping: Vec<bool>,
    /// How many `REPEATS` operand searches enclose the current one (their continuations
    /// compare the choices made, see [`Search::repeat_from`]).
    repeating: usize,
}

/// A state of [`Search::pick`]: position, instances still to pick, the latest start and
/// earliest end among the observations picked so far, and whether the binding holds the
/// observation [`Search::binding_with`] looks for.
type PickState = (usize, u64, i128, i128, bool);

impl<'o, 'a, V: ObjectView> Search<'o, 'a, V> {
    /// A search over `observations` for a pattern with `leaves` observation expressions.
    pub(crate) fn new(
        observations: &'o Observations<'a, V>,
        version: Version,
        leaves: usize,
        limit: usize,
    ) -> Search<'o, 'a, V> {
        Search {
            observations,
            version,
            candidates: vec![None; leaves],
            used: vec![0; observations.items.len()],
            added: Vec::new(),
            constraints: Vec::new(),
            trace: Vec::new(),
            steps: 0,
            limit,
            prefer: None,
            overlapping: Vec::new(),
            repeating: 0,
        }
    }

    /// How many steps the searches so far took.
    #[cfg(test)]
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// Whether some binding satisfies `root`.
    pub(crate) fn exists(&mut self, root: &Node) -> Result<bool, Error> {
        self.reset(None);
        self.find_overlaps(root);
        self.node(root, &mut |_| Ok(true))
    }

    /// The observations of some binding of `root` that contains `observation`, if there is one.
    pub(crate) fn binding_with(
        &mut self,
        root: &Node,
        observation: u32,
    ) -> Result<Option<Vec<u32>>, Error> {
        self.reset(Some(observation));
        self.find_overlaps(root);
        let mut found = None;
        self.node(root, &mut |s| {
            if s.used[observation as usize] == 0 {
                return Ok(false);
            }
            found = Some(s.added.iter().map(|&(i, _)| i).collect());
            Ok(true)
        })?;
        Ok(found)
    }

    /// The observations any observation expression of `root` matches, sorted.
    pub(crate) fn matched_anywhere(&mut self, root: &Node) -> Vec<u32> {
        let mut all = Vec::new();
        root.for_each_leaf(&mut |id, test| all.extend_from_slice(&self.leaf(id, test)));
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Fills [`Search::overlapping`] when `root` has a `REPEATS` over a single `[…]`.
    fn find_overlaps(&mut self, root: &Node) {
        if !self.overlapping.is_empty() || !repeats_one(root) {
            return;
        }
        let mut leaves = Vec::new();
        root.for_each_leaf(&mut |id, test| leaves.push((id, self.leaf(id, test))));
        let mut count = vec![0u32; self.used.len()];
        for (_, matched) in &leaves {
            matched.iter().for_each(|&i| count[i as usize] += 1);
        }
        self.overlapping = vec![true; self.candidates.len()];
        for (id, matched) in &leaves {
            self.overlapping[*id] = matched.iter().any(|&i| count[i as usize] > 1);
        }
    }

    fn reset(&mut self, prefer: Option<u32>) {
        self.used.iter_mut().for_each(|n| *n = 0);
        self.added.clear();
        self.constraints.clear();
        self.trace.clear();
        self.prefer = prefer;
    }

    fn node(&mut self, node: &Node, next: Next<'_, 'o, 'a, V>) -> Result<bool, Error> {
        match node {
            Node::Observation(id, test) => {
                let candidates = self.ordered(*id, test);
                for (position, &i) in candidates.iter().enumerate() {
                    if self.push(i, 1)? {
                        self.trace.push(position as u64);
                        let found = next(self)?;
                        self.trace.pop();
                        self.pop();
                        if found {
                            return Ok(true);
                        }
                    }
                }
                Ok(false)
            }
            Node::Or(items) => {
                for (branch, item) in items.iter().enumerate() {
                    self.trace.push(branch as u64);
                    let found = self.node(item, next)?;
                    self.trace.pop();
                    if found {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Node::And(items) => {
                let base = self.constraints.len();
                self.chain(items, None, base, next)
            }
            Node::FollowedBy(items) => {
                let (base, from) = (self.constraints.len(), self.added.len());
                self.chain(items, Some(from), base, next)
            }
            Node::Qualified(inner, filters) => self.qualified(inner, filters, next),
        }
    }

    /// AND (`ordered` is `None`) and FOLLOWEDBY (`ordered` is where its bindings start): one
    /// binding of each operand, in turn. `base` is the constraint depth to restore before `next`.
    fn chain(
        &mut self,
        items: &[Node],
        ordered: Option<usize>,
        base: usize,
        next: Next<'_, 'o, 'a, V>,
    ) -> Result<bool, Error> {
        let Some((first, rest)) = items.split_first() else { return self.leave(base, next) };
        if !rest.is_empty() && !self.rest_feasible(first, rest, ordered, base)? {
            return Ok(false);
        }
        self.node(first, &mut |s| {
            let Some(from) = ordered.filter(|_| !rest.is_empty()) else {
                return s.chain(rest, ordered, base, next);
            };
            // STIX 2.1 §9, "FOLLOWEDBY": every later observation ends no earlier than the
            // latest start among the earlier ones.
            let at = s.extent(from).0;
            s.constraints.push(Constraint::NotBefore(at));
            let found = s.chain(rest, ordered, base, next)?;
            s.constraints.pop();
            Ok(found)
        })
    }

    /// Whether the operands `rest` have a binding in the least constrained state that a binding
    /// of `first` can leave: nothing of `first` added (adding instances only uses capacity and
    /// tightens `WITHIN` extents) and, for FOLLOWEDBY, later observations ending no earlier
    /// than the earliest start among the observations `first` can use. If not, no binding of
    /// `first` is worth trying: without this, a `REPEATS` operand would try every choice of
    /// its observations (C(30, 20) of them) before giving up.
    fn rest_feasible(
        &mut self,
        first: &Node,
        rest: &[Node],
        ordered: Option<usize>,
        base: usize,
    ) -> Result<bool, Error> {
        let Some(from) = ordered else {
            return self.chain(rest, ordered, base, &mut |_| Ok(true));
        };
        let items = &self.observations.items;
        let earliest =
            self.matched_anywhere(first).iter().map(|&i| items[i as usize].first_observed).min();
        let Some(earliest) = earliest else { return Ok(false) };
        let at = self.extent(from).0.max(earliest);
        self.constraints.push(Constraint::NotBefore(at));
        let found = self.chain(rest, ordered, base, &mut |_| Ok(true));
        self.constraints.pop();
        found
    }

    /// Calls `next` without the constraints pushed since depth `base` (they apply to the
    /// sub-expression that just finished, not to what follows it), then restores them.
    fn leave(&mut self, base: usize, next: Next<'_, 'o, 'a, V>) -> Result<bool, Error> {
        let saved = self.constraints.split_off(base);
        let found = next(self)?;
        self.constraints.extend(saved);
        Ok(found)
    }

    /// An expression with qualifiers; the last qualifier applies to the expression with all the
    /// others.
    fn qualified(
        &mut self,
        inner: &Node,
        filters: &[Filter],
        next: Next<'_, 'o, 'a, V>,
    ) -> Result<bool, Error> {
        let Some((last, rest)) = filters.split_last() else { return self.node(inner, next) };
        let constraint = match last {
            Filter::Repeats(times) => return self.repeat(inner, rest, *times, next),
            Filter::Within(nanos) => Constraint::Within { from: self.added.len(), nanos: *nanos },
            Filter::StartStop(start, stop) => Constraint::Window(*start, *stop),
        };
        let base = self.constraints.len();
        self.constraints.push(constraint);
        let found = self.qualified(inner, rest, &mut |s| s.leave(base, next))?;
        self.constraints.truncate(base);
        Ok(found)
    }

    /// REPEATS: `times` bindings of `inner` (with the qualifiers `rest`) on distinct instances.
    fn repeat(
        &mut self,
        inner: &Node,
        rest: &[Filter],
        times: u64,
        next: Next<'_, 'o, 'a, V>,
    ) -> Result<bool, Error> {
        // Every binding of the operand uses at least `smallest` instances of observations that
        // its observation expressions match and the active constraints admit.
        let mut capacity = 0u64;
        for i in self.matched_anywhere(inner) {
            self.step()?;
            if self.fits(i) {
                capacity = capacity.saturating_add(self.free(i));
            }
        }
        if times.saturating_mul(smallest(inner, rest)) > capacity {
            return Ok(false);
        }
        if let (Node::Observation(id, test), []) = (inner, rest) {
            let candidates = self.ordered(*id, test);
            // Which of these observations are picked matters to the rest of the search only
            // through their extent (and whether the one `binding_with` wants is among them),
            // unless another `[…]` can use them or an enclosing REPEATS compares choices: then
            // the failed states can be remembered.
            let mut failed = (self.repeating == 0 && self.overlapping.get(*id) == Some(&false))
                .then(HashSet::new);
            let nothing = (Timestamp::MIN, Timestamp::MAX);
            return self.pick(&candidates, 0, times, nothing, &mut failed, next);
        }
        self.repeat_from(inner, rest, times, None, next)
    }

    /// `remaining` more bindings of `inner`, each found by choices ([`Search::trace`]) no
    /// smaller than those that found the `previous` one, so that each multiset of bindings is
    /// built once (any solution can list its bindings in that order).
    fn repeat_from(
        &mut self,
        inner: &Node,
        rest: &[Filter],
        remaining: u64,
        previous: Option<&[u64]>,
        next: Next<'_, 'o, 'a, V>,
    ) -> Result<bool, Error> {
        if remaining == 0 {
            return next(self);
        }
        let from = self.trace.len();
        self.repeating += 1;
        let found = self.qualified(inner, rest, &mut |s| {
            let current = s.trace[from..].to_vec();
            if previous.is_some_and(|previous| current.as_slice().cmp(previous) == Ordering::Less) {
                return Ok(false);
            }
            s.repeat_from(inner, rest, remaining - 1, Some(&current), next)
        });
        self.repeating -= 1;
        found
    }

    /// REPEATS over one observation expression: `remaining` instances of the observations
    /// `candidates[position..]`, each chosen observation contributing one or more instances.
    ///
    /// `picked` is the latest start and earliest end of the observations picked so far; with
    /// `failed`, the states known to fail are skipped (what follows depends on the picks only
    /// through that extent).
    fn pick(
        &mut self,
        candidates: &[u32],
        position: usize,
        remaining: u64,
        picked: (Timestamp, Timestamp),
        failed: &mut Option<HashSet<PickState>>,
        next: Next<'_, 'o, 'a, V>,
    ) -> Result<bool, Error> {
        let preferred = self.prefer.is_some_and(|p| self.used[p as usize] > 0);
        let state = (position, remaining, picked.0.as_nanos(), picked.1.as_nanos(), preferred);
        if failed.as_ref().is_some_and(|failed| failed.contains(&state)) {
            return Ok(false);
        }
        let found = self.pick_from(candidates, position, remaining, picked, failed, next)?;
        if !found && let Some(failed) = failed {
            failed.insert(state);
        }
        Ok(found)
    }

    fn pick_from(
        &mut self,
        candidates: &[u32],
        position: usize,
        remaining: u64,
        picked: (Timestamp, Timestamp),
        failed: &mut Option<HashSet<PickState>>,
        next: Next<'_, 'o, 'a, V>,
    ) -> Result<bool, Error> {
        if remaining == 0 {
            return next(self);
        }
        let Some(tail) = candidates.get(position..) else { return Ok(false) };
        // What each candidate could still add, given the binding so far; a candidate's share
        // can only shrink as more is added, so this bounds every completion from here.
        let mut room = Vec::with_capacity(tail.len());
        for &i in tail {
            self.step()?;
            room.push(if self.fits(i) { self.free(i) } else { 0 });
        }
        let mut after: u64 = room.iter().fold(0u64, |sum, &n| sum.saturating_add(n));
        for (offset, &i) in tail.iter().enumerate() {
            if after < remaining {
                return Ok(false);
            }
            after -= room[offset];
            if room[offset] == 0 {
                continue;
            }
            let most = room[offset].min(remaining);
            let least = remaining.saturating_sub(after).max(1);
            for take in (least..=most).rev() {
                if self.push(i, take)? {
                    // Larger counts are tried first, so the trace holds their complement.
                    self.trace.extend([(position + offset) as u64, u64::MAX - take]);
                    let o = &self.observations.items[i as usize];
                    let extent = (picked.0.max(o.first_observed), picked.1.min(o.last_observed));
                    let found = self.pick(
                        candidates,
                        position + offset + 1,
                        remaining - take,
                        extent,
                        failed,
                        next,
                    )?;
                    self.trace.truncate(self.trace.len() - 2);
                    self.pop();
                    if found {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Adds `count` instances of observation `i` if capacity and constraints allow.
    fn push(&mut self, i: u32, count: u64) -> Result<bool, Error> {
        self.step()?;
        if self.added.len() >= MAX_SEARCH_DEPTH {
            return Err(Error::LimitExceeded(self.limit));
        }
        if self.free(i) < count || !self.fits(i) {
            return Ok(false);
        }
        self.used[i as usize] += count;
        self.added.push((i, count));
        Ok(true)
    }

    fn pop(&mut self) {
        if let Some((i, count)) = self.added.pop() {
            self.used[i as usize] -= count;
        }
    }

    /// Instances of observation `i` not yet in the binding.
    fn free(&self, i: u32) -> u64 {
        self.observations.items[i as usize].number_observed.saturating_sub(self.used[i as usize])
    }

    /// Whether adding observation `i` keeps every active constraint.
    fn fits(&self, i: u32) -> bool {
        let o = &self.observations.items[i as usize];
        self.constraints.iter().all(|constraint| match *constraint {
            Constraint::Within { from, nanos } => {
                let (latest_first, earliest_last) = self.extent(from);
                let latest_first = latest_first.max(o.first_observed);
                let earliest_last = earliest_last.min(o.last_observed);
                latest_first.as_nanos() - earliest_last.as_nanos() <= nanos
            }
            Constraint::NotBefore(at) => o.last_observed >= at,
            // STIX 2.1 §9, "START/STOP": the stop instant is excluded.
            Constraint::Window(start, stop) => o.first_observed < stop && o.last_observed >= start,
        })
    }

    /// The latest `first_observed` and earliest `last_observed` of the entries added since
    /// `from` (the identity of both, when there are none).
    fn extent(&self, from: usize) -> (Timestamp, Timestamp) {
        let items = &self.observations.items;
        let mut extent = (Timestamp::MIN, Timestamp::MAX);
        for &(i, _) in self.added.get(from..).unwrap_or_default() {
            let o = &items[i as usize];
            extent.0 = extent.0.max(o.first_observed);
            extent.1 = extent.1.min(o.last_observed);
        }
        extent
    }

    /// The observations observation expression `id` matches, in index order.
    fn leaf(&mut self, id: usize, test: &Test) -> Rc<[u32]> {
        let (observations, version) = (self.observations, self.version);
        self.candidates[id]
            .get_or_insert_with(|| {
                observations
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, observation)| observation_matches(test, observation, version))
                    .map(|(i, _)| i as u32)
                    .collect()
            })
            .clone()
    }

    /// [`Search::leaf`], with the preferred observation first.
    fn ordered(&mut self, id: usize, test: &Test) -> Rc<[u32]> {
        let candidates = self.leaf(id, test);
        match self.prefer.map(|p| candidates.binary_search(&p)) {
            Some(Ok(k)) => {
                let mut rotated = candidates.to_vec();
                rotated[..=k].rotate_right(1);
                rotated.into()
            }
            _ => candidates,
        }
    }

    fn step(&mut self) -> Result<(), Error> {
        self.steps += 1;
        if self.steps > self.limit {
            return Err(Error::LimitExceeded(self.limit));
        }
        Ok(())
    }
}

/// Whether `node` has a `REPEATS` over a single `[…]`.
fn repeats_one(node: &Node) -> bool {
    match node {
        Node::Observation(..) => false,
        Node::And(items) | Node::Or(items) | Node::FollowedBy(items) => {
            items.iter().any(repeats_one)
        }
        Node::Qualified(inner, filters) => {
            let direct = matches!(**inner, Node::Observation(..))
                && filters.last().is_some_and(|f| matches!(f, Filter::Repeats(_)));
            direct || repeats_one(inner)
        }
    }
}

/// The fewest instances a binding of `node` with the qualifiers `filters` uses.
fn smallest(node: &Node, filters: &[Filter]) -> u64 {
    let inner = match node {
        Node::Observation(..) => 1,
        Node::And(items) | Node::FollowedBy(items) => {
            items.iter().fold(0u64, |sum, item| sum.saturating_add(smallest(item, &[])))
        }
        Node::Or(items) => items.iter().map(|item| smallest(item, &[])).min().unwrap_or(0),
        Node::Qualified(inner, inner_filters) => smallest(inner, inner_filters),
    };
    filters.iter().fold(inner, |size, filter| match filter {
        Filter::Repeats(times) => size.saturating_mul(*times),
        Filter::Within(_) | Filter::StartStop(..) => size,
    })
}
