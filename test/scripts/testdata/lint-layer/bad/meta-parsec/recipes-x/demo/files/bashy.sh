#!/bin/bash
arr=(a b
[[ -n x ]] && echo "${arr[0]}"
