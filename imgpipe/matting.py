"""Alpha matting of a cut-out's edge: closed-form alpha and the product's own edge colours.

Images are float64 HxWx3 in 0-1; a trimap is float HxW with 1 (sure
product), 0 (sure backdrop) and anything else unknown; alpha is 0-1.

- `closed_form_alpha`: Levin, Lischinski and Weiss, "A Closed-Form
  Solution to Natural Image Matting" (2008): inside every 3x3 window alpha
  is an affine function of the colour, which gives a sparse "matting
  Laplacian" L; the unknown pixels' alpha minimises a^T L a with the known
  pixels fixed, one sparse linear system.
- `foreground_colours`: Forte and Pitie, "Approximate Fast Foreground
  Colour Estimation" (2021): the blur-fusion estimate, two passes of box
  blurs, so an edge pixel's colour is the product's without the backdrop
  that was mixed into it.

numpy, OpenCV and scipy.sparse only: no JIT compiler to warm up (pymatting,
used before, compiled for about 100 CPU-seconds on its first import after
an install and loaded for 1.6 s in every process after that).
"""

from __future__ import annotations

import cv2
import numpy as np

EPSILON = 1e-7      # regularisation of each window's colour covariance (as in the paper's code)
WINDOW_CHUNK = 4096  # windows whose Laplacian entries are built at once (~25 MB at a time)
CG_TOLERANCE = 1e-7  # relative residual at which the conjugate gradient stops


def _unknown(trimap: np.ndarray) -> np.ndarray:
    return (trimap != 0.0) & (trimap != 1.0)


def closed_form_alpha(image: np.ndarray, trimap: np.ndarray) -> np.ndarray:
    """Alpha 0-1 (float64 HxW) for the unknown pixels of `trimap`, known pixels as given.

    Only the 3x3 windows that hold an unknown pixel are built, and only the
    equations of the unknown pixels are kept: the cost follows the unknown
    band, not the image (a 2-pixel band round a product on a 1000-px proxy:
    ~30 000 unknowns, ~0.2 s).
    """
    import scipy.sparse

    h, w = trimap.shape
    unknown = _unknown(trimap)
    alpha = np.clip(trimap, 0, 1).astype(np.float64)
    n = int(unknown.sum())
    if n == 0 or h < 3 or w < 3:
        return alpha
    # window centres: every interior pixel whose 3x3 window holds an unknown pixel
    centres = cv2.dilate(unknown.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    centres[0, :] = centres[-1, :] = centres[:, 0] = centres[:, -1] = False
    cy, cx = np.nonzero(centres)
    order = np.full(h * w, -1, np.int32)  # pixel -> its index among the unknowns
    order[np.flatnonzero(unknown)] = np.arange(n, dtype=np.int32)
    flat = image.reshape(-1, 3)
    known_alpha = alpha.ravel()
    offsets = (np.arange(-1, 2)[:, None] * w + np.arange(-1, 2)[None, :]).ravel()  # 9 window pixels
    rows, cols, vals = [], [], []
    rhs = np.zeros(n)
    for start in range(0, cy.size, WINDOW_CHUNK):
        idx = (cy[start:start + WINDOW_CHUNK] * w + cx[start:start + WINDOW_CHUNK])[:, None] + offsets  # N x 9
        colours = flat[idx]                                                           # N x 9 x 3
        centred = colours - colours.mean(axis=1, keepdims=True)
        # einsum and a 3x3 inverse by cofactors, not matmul and linalg.inv: no BLAS (_conjugate_gradient)
        cov = np.einsum("nki,nkj->nij", centred, centred) / 9.0 + (EPSILON / 9.0) * np.eye(3)
        inv = _inverse3(cov)
        # L's entries from this window: delta_ij - (1 + (I_i - mu)^T inv (I_j - mu)) / 9
        projected = np.einsum("nki,nij->nkj", centred, inv)
        entries = np.eye(9) - (1.0 + np.einsum("nkj,nlj->nkl", projected, centred)) / 9.0  # N x 9 x 9
        r = np.broadcast_to(idx[:, :, None], entries.shape).ravel()
        c = np.broadcast_to(idx[:, None, :], entries.shape).ravel()
        v = entries.ravel()
        ru, cu = order[r], order[c]  # int32: the same indices in half the memory (n < 2**31)
        keep = ru >= 0  # only the unknown pixels' equations are solved
        ru, cu, c, v = ru[keep], cu[keep], c[keep], v[keep]
        inner = cu >= 0
        rows.append(ru[inner]), cols.append(cu[inner]), vals.append(v[inner])
        # a known neighbour's term moves to the right-hand side
        rhs -= np.bincount(ru[~inner], weights=v[~inner] * known_alpha[c[~inner]], minlength=n)
    # one list of chunks at a time joined and let go: the chunks and the joined arrays are the matte's peak
    vals, rows, cols = np.concatenate(vals), np.concatenate(rows), np.concatenate(cols)
    system = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    del vals, rows, cols
    diagonal = system.diagonal()
    solution = _conjugate_gradient(system, rhs, 1.0 / np.where(diagonal > 0, diagonal, 1.0))
    alpha.ravel()[np.flatnonzero(unknown)] = solution
    return np.clip(alpha, 0, 1)


def _inverse3(m: np.ndarray) -> np.ndarray:
    """The inverses of N symmetric 3x3 matrices (N x 3 x 3), by cofactors."""
    a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    d, e, f = m[:, 1, 1], m[:, 1, 2], m[:, 2, 2]
    co = np.stack([d * f - e * e, c * e - b * f, b * e - c * d,
                   c * e - b * f, a * f - c * c, b * c - a * e,
                   b * e - c * d, b * c - a * e, a * d - b * b], axis=-1).reshape(-1, 3, 3)
    det = a * co[:, 0, 0] + b * co[:, 1, 0] + c * co[:, 2, 0]
    return co / det[:, None, None]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.einsum("i,i->", a, b))  # not np.dot: see _conjugate_gradient


def _conjugate_gradient(system, rhs: np.ndarray, inverse_diagonal: np.ndarray, maxiter: int = 2000) -> np.ndarray:
    """x with system @ x = rhs (symmetric positive definite), Jacobi-preconditioned, from x = 0, until
    the residual is CG_TOLERANCE of rhs (scipy.sparse.linalg.cg's steps and stopping rule).

    Its own loop because scipy's takes its dot products from BLAS: OpenBLAS runs a long one on
    every core and its threads spin between calls, and a worker imports numpy before it can limit
    them (render.worker_init's OPENBLAS_NUM_THREADS comes too late). On the 2-core machine, loaded,
    the matte of a garment's edge (10 000 unknowns) took 2-3 CPU-s that way, 0.25 on one thread."""
    x = np.zeros_like(rhs)
    stop = CG_TOLERANCE * np.sqrt(_dot(rhs, rhs))
    r = rhs.copy()
    z = inverse_diagonal * r
    p = z.copy()
    rz = _dot(r, z)
    for _ in range(maxiter):
        if np.sqrt(_dot(r, r)) <= stop:
            break
        q = system @ p
        step = rz / _dot(p, q)
        x += step * p
        r -= step * q
        z = inverse_diagonal * r
        rz, previous = _dot(r, z), rz
        p = z + (rz / previous) * p
    return x


def _blur_fusion(image: np.ndarray, fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, radius: int):
    """One blur-fusion pass: (foreground, blurred backdrop), both HxWx3."""
    size = (2 * radius + 1, 2 * radius + 1)
    a = alpha[..., None]
    blurred_a = cv2.blur(alpha, size)[..., None]
    blurred_fg = cv2.blur(fg * a, size) / (blurred_a + 1e-5)
    blurred_bg = cv2.blur(bg * (1.0 - a), size) / ((1.0 - blurred_a) + 1e-5)
    fg = blurred_fg + a * (image - a * blurred_fg - (1.0 - a) * blurred_bg)
    return np.clip(fg, 0, 1), blurred_bg


def foreground_colours(image: np.ndarray, alpha: np.ndarray, radii: tuple[int, int] = (90, 6)) -> np.ndarray:
    """The product's colours (float HxWx3, 0-1) where alpha mixed it with the backdrop.

    Blur fusion: a wide pass (90 px) then a narrow one (6 px); each takes the
    product's and the backdrop's local average colours and puts back what
    the pixel differs from their alpha-weighted mix. Box filters only: about
    10 ms per megapixel.
    """
    image = image.astype(np.float32)
    alpha = np.clip(alpha, 0, 1).astype(np.float32)
    fg, bg = image, image
    for radius in radii:
        fg, bg = _blur_fusion(image, fg, bg, alpha, radius)
    return fg
