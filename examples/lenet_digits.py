import mlbook as mb
from mlbook import nn, losses, optim, data, train

mb.seed(0)                                       # same initial weights on every backend
net = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                    nn.Conv2d(6, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                    nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))
train_iter, test_iter = data.load_digits(batch_size=64)        # offline: scikit-learn's digits
history = train.fit(net, train_iter, losses.cross_entropy, optim.Adam(net, lr=0.01),
                    num_epochs=10, test_iter=test_iter)
print(history["test_acc"][-1])                   # 0.967 on every backend
net.save("lenet.npz")                            # load it on any other backend
