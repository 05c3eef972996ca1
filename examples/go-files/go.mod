module go-files

go 1.24

require caxton.dev/caxton v0.1.0
