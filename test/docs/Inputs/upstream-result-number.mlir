func.func @f() -> i32 {
  return %x#2147483648 : i32
}
