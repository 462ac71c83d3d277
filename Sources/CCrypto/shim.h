#ifndef LORAFS_CCRYPTO_SHIM_H
#define LORAFS_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif
