// The public header compiles as C++ unchanged.
#include <mkletter.h>
int main() {
    mkl_options o;
    mkl_options_init(&o);
    return mkl_version()[0] ? 0 : 1;
}
