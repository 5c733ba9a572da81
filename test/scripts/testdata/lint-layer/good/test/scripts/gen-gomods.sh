#!/bin/sh
# Fixture stand-in for gen-gomods.sh --stdout: matches the committed files.
printf '# mods\nSRC_URI += "gomod://golang.org/x/sys;version=v0.50.0;sha256sum=00"\n# licenses\nLICENSE += "& BSD-3-Clause"\n'
