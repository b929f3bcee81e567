"""One Function per differentiable op. Heavy ones (matmul, conv2d, pooling) call axonal._C."""
