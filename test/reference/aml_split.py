"""automl's seeded splits, written out in Python for the reference scripts.

automl_fit and automl_train choose their holdout rows and cross-validation
folds with their own random numbers (src/core/random.c: xoshiro256** seeded by
splitmix64; src/ml/cross_validation.c: holdout, k-fold, stratified k-fold), so
scikit-learn's splitters cannot reproduce them.  This module follows those two
files step by step, so that a reference script can fit scikit-learn on exactly
the rows automl used.  test/reference/sql_models.py checks it against numbers
that only the right rows give (the OLS holdout R² of automl_fit agrees to
1e-15).

    holdout_split(n_rows, test_size, y, n_classes, seed) -> (train, test)
    kfold_split(n_rows, k, y, n_classes, rng) -> list of (train, test)
    search_rngs(seed) -> (holdout rng, fold rng) as automl_train derives them
Row numbers are 0-based positions in the order automl read the relation
(heap order: the order the CSV was copied in).  Index lists are increasing,
as aml_folds_indices returns them.
"""
import math

MASK = (1 << 64) - 1


def _splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return x, z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Rng:
    """aml_rng_seed / aml_rng_derive / aml_rng_next / aml_rng_below / aml_rng_shuffle."""

    def __init__(self, seed):
        self.seed = seed & MASK
        x = self.seed
        self.s = []
        for _ in range(4):
            x, z = _splitmix64(x)
            self.s.append(z)

    def derive(self, stream):
        x = self.seed ^ 0x6A09E667F3BCC909
        x = (x + stream * 0x9E3779B97F4A7C15) & MASK
        _, mixed = _splitmix64(x)
        return Rng(mixed ^ ((stream << 1) & MASK))

    def next(self):
        s = self.s
        result = (_rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def below(self, n):
        limit = MASK - MASK % n
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def shuffle(self, items, lo, n):
        """Fisher-Yates on items[lo:lo+n] in place."""
        for i in range(n - 1, 0, -1):
            j = self.below(i + 1)
            items[lo + i], items[lo + j] = items[lo + j], items[lo + i]


def _indices(fold, which):
    test = [i for i, f in enumerate(fold) if f == which]
    train = [i for i, f in enumerate(fold) if f != which]
    return train, test


def holdout(n_rows, test_size, y, n_classes, rng):
    """aml_holdout with one repetition: stratified when y (class codes) is given."""
    n_test = math.ceil(test_size * n_rows)
    fold = [-1] * n_rows
    child = rng.derive(0)
    if y is None:
        rows = list(range(n_rows))
        child.shuffle(rows, 0, n_rows)
        for m in range(n_test):
            fold[rows[m]] = 0
    else:
        count = [0] * n_classes
        for v in y:
            count[v] += 1
        # test rows per class: floor of the proportional share, then largest remainders
        take, frac, assigned = [], [], 0
        for c in range(n_classes):
            share = count[c] * n_test / n_rows
            take.append(math.floor(share))
            frac.append(share - take[c])
            assigned += take[c]
        while assigned < n_test:
            best = -1
            for c in range(n_classes):
                if take[c] < count[c] and (best < 0 or frac[c] > frac[best]):
                    best = c
            take[best] += 1
            frac[best] = -1.0
            assigned += 1
        start = [0]
        for c in range(n_classes):
            start.append(start[c] + count[c])
        cursor = start[:n_classes]
        rows = [0] * n_rows
        for i in range(n_rows):
            rows[cursor[y[i]]] = i
            cursor[y[i]] += 1
        for c in range(n_classes):
            child.shuffle(rows, start[c], count[c])
            for m in range(take[c]):
                fold[rows[start[c] + m]] = 0
    return _indices(fold, 0)


def holdout_split(n_rows, test_size, y, n_classes, seed):
    """The holdout of automl_fit (test_size 0.25) and automl_train: aml_rng_seed(seed)."""
    return holdout(n_rows, test_size, y, n_classes, Rng(seed))


def kfold_split(n_rows, k, y, n_classes, rng):
    """aml_folds_for_task with one repetition: stratified k-fold when y is given."""
    fold = [0] * n_rows
    child = rng.derive(0)
    if y is None:
        perm = list(range(n_rows))
        child.shuffle(perm, 0, n_rows)
        pos = 0
        for c in range(k):
            for _ in range(n_rows // k + (1 if c < n_rows % k else 0)):
                fold[perm[pos]] = c
                pos += 1
    else:
        count = [0] * n_classes
        for v in y:
            count[v] += 1
        start = [0]
        for c in range(n_classes):
            start.append(start[c] + count[c])
        cursor = start[:n_classes]
        rows = [0] * n_rows
        for i in range(n_rows):
            rows[cursor[y[i]]] = i
            cursor[y[i]] += 1
        for c in range(n_classes):
            child.shuffle(rows, start[c], count[c])
        label = list(range(k))
        child.shuffle(label, 0, k)
        for pos in range(n_rows):
            fold[rows[pos]] = label[pos % k]
    return [_indices(fold, f) for f in range(k)]


def search_rngs(seed):
    """automl_train: the holdout uses aml_rng_seed(seed); the search's folds
    derive stream 2 of the same root (src/search/search.c)."""
    root = Rng(seed)
    return Rng(seed), root.derive(2)
