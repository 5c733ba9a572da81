module github.com/parsecd/parsecd

go 1.26.0

require (
	github.com/pelletier/go-toml/v2 v2.4.3
	golang.org/x/sys v0.50.0
)
