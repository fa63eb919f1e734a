// Recursive fib(n): run with `java -Xint Fib.java 32` for an interpreter-only JVM.
public class Fib {
    static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    public static void main(String[] a) {
        System.out.println(fib(a.length > 0 ? Long.parseLong(a[0]) : 32));
    }
}
