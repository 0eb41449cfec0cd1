"""PyTorch reference for one training step of a network metric on T^n (Float64, CPU): forward, input Hessian
(torch.func: jacfwd over jacrev, vmapped over points), curvature, loss, parameter gradient (backward).

Same model as nntheory's Training module: periodic embedding (cos k x_j, sin k x_j; j outer, k = 1..K, cos first),
MLP z = h @ W + b with tanh, metric conformal g = e^u δ or ldl g = L diag(e^d) Lᵀ (strict lower L row-major, then
log D), Landau–Lifshitz curvature conventions, losses scalar2 = Σ_p w R² √det g and ricci2 = Σ_p w |Ric|²_g √det g,
w = (2π)^n / P (no volume normalisation). Parameters and points are read from the nntheory harness's DIR
(theta.npy, points.npy), so loss and gradient can be compared entry by entry (grad.npy, loss.npy).

Usage: python torch_reference.py CASE DIR [REPEATS] [THREADS] [ROUTE]
  CASE: t2-conformal-scalar2 | t3-conformal-scalar2 | t3-ldl-ricci2
  ROUTE: metric (default: jacfwd(jacrev) of the n×n metric function, the direct torch.func formulation) or
         outputs (conformal only: derivatives of the one network output u, metric derivatives by hand)
"""
import sys, time, math
import numpy as np
import torch
from torch.func import jacfwd, jacrev, vmap

torch.set_default_dtype(torch.float64)
case, d = sys.argv[1], sys.argv[2]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
route = sys.argv[5] if len(sys.argv) > 5 else 'metric'
dim, par, loss_kind = case.split('-')
n = 2 if dim == 't2' else 3
K = 2
O = 1 if par == 'conformal' else n * (n + 1) // 2
widths = [2 * n * K, 64, 64, 64, O]
theta = np.load(d + '/theta.npy')
X = torch.tensor(np.load(d + '/points.npy'))
P = X.shape[0]
w = (2 * math.pi) ** n / P

params = []
off = 0
for a, b in zip(widths[:-1], widths[1:]):
    W = torch.tensor(theta[off:off + a * b].reshape(a, b)); off += a * b
    bb = torch.tensor(theta[off:off + b]); off += b
    params += [W.requires_grad_(), bb.requires_grad_()]
assert off == theta.size

ks = torch.arange(1, K + 1, dtype=torch.float64)


def embed(x):                      # x: (n,)
    kx = x[:, None] * ks[None, :]  # (n, K)
    return torch.stack([torch.cos(kx), torch.sin(kx)], dim=-1).reshape(-1)


def net(x, ps):
    h = embed(x)
    for i in range(0, len(ps), 2):
        h = h @ ps[i] + ps[i + 1]
        if i + 2 < len(ps):
            h = torch.tanh(h)
    return h


def metric(x, ps):
    h = net(x, ps)
    if par == 'conformal':
        return torch.exp(h[0]) * torch.eye(n)
    nl = n * (n - 1) // 2
    L = torch.eye(n)
    rows, cols = torch.tril_indices(n, n, -1)
    L = L.index_put((rows, cols), h[:nl])
    return L @ torch.diag(torch.exp(h[nl:])) @ L.T


def jets_conformal(x, ps):
    """Conformal metric, cheaper route: derivatives of the single output u, then g = e^u δ,
    ∂_k g = e^u ∂_k u δ, ∂_k∂_l g = e^u (∂_k∂_l u + ∂_k u ∂_l u) δ by hand."""
    def u_aux(y):
        u = net(y, ps)[0]
        return u, u
    def du_aux(y):
        du, u = jacrev(u_aux, has_aux=True)(y)
        return du, (du, u)
    ddu, (du, u) = jacfwd(du_aux, has_aux=True)(x)
    e, I = torch.exp(u), torch.eye(n)
    return e * I, e * I[:, :, None] * du, e * I[:, :, None, None] * (ddu + du[:, None] * du[None, :])


def jets(x, ps):
    if par == 'conformal' and route == 'outputs':
        return jets_conformal(x, ps)
    def g_aux(y):
        g = metric(y, ps)
        return g, g
    def dg_aux(y):
        dg, g = jacrev(g_aux, has_aux=True)(y)
        return dg, (dg, g)
    ddg, (dg, g) = jacfwd(dg_aux, has_aux=True)(x)
    return g, dg, ddg              # (n,n), (n,n,k), (n,n,k,l)


def step(ps):
    g, dg, ddg = vmap(lambda x: jets(x, ps))(X)
    gi = torch.linalg.inv(g)
    sq = torch.sqrt(torch.linalg.det(g))
    # Γ_{k,ij} = ½(∂_i g_jk + ∂_j g_ik − ∂_k g_ij), dg[p, a, b, c] = ∂_c g_ab
    G1 = 0.5 * (dg.permute(0, 2, 3, 1) + dg.permute(0, 2, 1, 3) - dg.permute(0, 3, 1, 2))  # [p,k,i,j]
    G2 = torch.einsum('pkl,plij->pkij', gi, G1)
    # R_abcd = ½(∂_b∂_c g_ad + ∂_a∂_d g_bc − ∂_b∂_d g_ac − ∂_a∂_c g_bd) + Γ^e_bc Γ_{e,ad} − Γ^e_bd Γ_{e,ac}
    A = torch.einsum('padbc->pabcd', ddg) + torch.einsum('pbcad->pabcd', ddg) \
        - torch.einsum('pacbd->pabcd', ddg) - torch.einsum('pbdac->pabcd', ddg)
    Riem = 0.5 * A + torch.einsum('pebc,pead->pabcd', G2, G1) - torch.einsum('pebd,peac->pabcd', G2, G1)
    Ric = torch.einsum('pac,pabcd->pbd', gi, Riem)
    if loss_kind == 'scalar2':
        R = torch.einsum('pbd,pbd->p', gi, Ric)
        dens = R * R * sq
    else:
        dens = torch.einsum('pac,pbd,pab,pcd->p', gi, gi, Ric, Ric) * sq
    L = w * dens.sum()
    grads = torch.autograd.grad(L, ps)
    return L, grads


L, grads = step(params)  # warm-up
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    L, grads = step(params)
    times.append(time.perf_counter() - t0)
times.sort()
gflat = torch.cat([g.reshape(-1) for g in grads]).detach().numpy()
ours_L = float(np.load(d + '/loss.npy')[0]); ours_g = np.load(d + '/grad.npy')
print('torch %s (%s route): %d parameters, P = %d, step time best %.4f s, median %.4f s (%d runs, %d threads)' %
      (case, route, theta.size, P, times[0], times[len(times) // 2], repeats, torch.get_num_threads()))
print('cross-check: loss torch %.15e nntheory %.15e (rel %.1e); gradient max |diff|/max|g| = %.1e' %
      (L.item(), ours_L, abs(L.item() - ours_L) / abs(ours_L), np.abs(gflat - ours_g).max() / np.abs(ours_g).max()))
