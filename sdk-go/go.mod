module caxton.dev/caxton

go 1.24
