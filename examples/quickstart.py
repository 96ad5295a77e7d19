import mlbook as mb

mb.seed(0)
X = mb.normal(0, 1, (100, 2))                     # same numbers on every backend
y = mb.mv(X, mb.array([2.0, -3.4])) + 4.2
loss = lambda w, b: mb.mean((mb.mv(X, w) + b - y) ** 2)
w, b = mb.zeros(2), mb.zeros(())
for step in range(100):
    gw, gb = mb.grad(loss, argnums=(0, 1))(w, b)
    w, b = w - 0.1 * gw, b - 0.1 * gb
print(mb.backend(), round(mb.item(loss(w, b)), 6))
mb.show((w, b), decimals=4)                       # printed the same on every backend
