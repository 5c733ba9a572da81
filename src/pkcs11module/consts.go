// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

// PKCS#11 v2.40 constants this module uses, from the OASIS base
// specification (values are part of the ABI every consumer was built against).

// RV is a CK_RV.
type RV = uint

// Return values.
const (
	CKR_OK                           RV = 0x000
	CKR_HOST_MEMORY                  RV = 0x002
	CKR_SLOT_ID_INVALID              RV = 0x003
	CKR_GENERAL_ERROR                RV = 0x005
	CKR_FUNCTION_FAILED              RV = 0x006
	CKR_ARGUMENTS_BAD                RV = 0x007
	CKR_CANT_LOCK                    RV = 0x00A
	CKR_ATTRIBUTE_SENSITIVE          RV = 0x011
	CKR_ATTRIBUTE_TYPE_INVALID       RV = 0x012
	CKR_ATTRIBUTE_VALUE_INVALID      RV = 0x013
	CKR_DATA_INVALID                 RV = 0x020
	CKR_DATA_LEN_RANGE               RV = 0x021
	CKR_DEVICE_ERROR                 RV = 0x030
	CKR_DEVICE_MEMORY                RV = 0x031
	CKR_ENCRYPTED_DATA_INVALID       RV = 0x040
	CKR_ENCRYPTED_DATA_LEN_RANGE     RV = 0x041
	CKR_FUNCTION_NOT_PARALLEL        RV = 0x051
	CKR_FUNCTION_NOT_SUPPORTED       RV = 0x054
	CKR_KEY_HANDLE_INVALID           RV = 0x060
	CKR_KEY_SIZE_RANGE               RV = 0x062
	CKR_KEY_TYPE_INCONSISTENT        RV = 0x063
	CKR_KEY_FUNCTION_NOT_PERMITTED   RV = 0x068
	CKR_MECHANISM_INVALID            RV = 0x070
	CKR_MECHANISM_PARAM_INVALID      RV = 0x071
	CKR_OBJECT_HANDLE_INVALID        RV = 0x082
	CKR_OPERATION_ACTIVE             RV = 0x090
	CKR_OPERATION_NOT_INITIALIZED    RV = 0x091
	CKR_SESSION_HANDLE_INVALID       RV = 0x0B3
	CKR_SESSION_PARALLEL_NOT_SUPP    RV = 0x0B4
	CKR_SESSION_READ_ONLY            RV = 0x0B5
	CKR_SIGNATURE_INVALID            RV = 0x0C0
	CKR_SIGNATURE_LEN_RANGE          RV = 0x0C1
	CKR_TEMPLATE_INCOMPLETE          RV = 0x0D0
	CKR_TEMPLATE_INCONSISTENT        RV = 0x0D1
	CKR_USER_TYPE_INVALID            RV = 0x103
	CKR_RANDOM_SEED_NOT_SUPPORTED    RV = 0x120
	CKR_DOMAIN_PARAMS_INVALID        RV = 0x130
	CKR_CURVE_NOT_SUPPORTED          RV = 0x140
	CKR_BUFFER_TOO_SMALL             RV = 0x150
	CKR_CRYPTOKI_NOT_INITIALIZED     RV = 0x190
	CKR_CRYPTOKI_ALREADY_INITIALIZED RV = 0x191
)

// Flags.
const (
	CKF_TOKEN_PRESENT        = 0x1
	CKF_RNG                  = 0x1
	CKF_USER_PIN_INITIALIZED = 0x8
	CKF_TOKEN_INITIALIZED    = 0x400
	CKF_RW_SESSION           = 0x2
	CKF_SERIAL_SESSION       = 0x4
	CKF_OS_LOCKING_OK        = 0x2

	CKF_HW                = 0x1
	CKF_DECRYPT           = 0x200
	CKF_DIGEST            = 0x400
	CKF_SIGN              = 0x800
	CKF_VERIFY            = 0x2000
	CKF_GENERATE_KEY_PAIR = 0x10000
	CKF_EC_F_P            = 0x100000
	CKF_EC_NAMEDCURVE     = 0x800000
	CKF_EC_UNCOMPRESS     = 0x1000000
)

// Session states and user types.
const (
	CKS_RO_PUBLIC_SESSION = 0
	CKS_RO_USER_FUNCTIONS = 1
	CKS_RW_PUBLIC_SESSION = 2
	CKS_RW_USER_FUNCTIONS = 3

	CKU_SO               = 0
	CKU_USER             = 1
	CKU_CONTEXT_SPECIFIC = 2
)

// Object classes and key types.
const (
	CKO_PUBLIC_KEY  = 2
	CKO_PRIVATE_KEY = 3

	CKK_RSA = 0
	CKK_EC  = 3
)

// Attribute types.
const (
	CKA_CLASS               = 0x000
	CKA_TOKEN               = 0x001
	CKA_PRIVATE             = 0x002
	CKA_LABEL               = 0x003
	CKA_VALUE               = 0x011
	CKA_KEY_TYPE            = 0x100
	CKA_SUBJECT             = 0x101
	CKA_ID                  = 0x102
	CKA_SENSITIVE           = 0x103
	CKA_ENCRYPT             = 0x104
	CKA_DECRYPT             = 0x105
	CKA_WRAP                = 0x106
	CKA_UNWRAP              = 0x107
	CKA_SIGN                = 0x108
	CKA_SIGN_RECOVER        = 0x109
	CKA_VERIFY              = 0x10A
	CKA_VERIFY_RECOVER      = 0x10B
	CKA_DERIVE              = 0x10C
	CKA_START_DATE          = 0x110
	CKA_END_DATE            = 0x111
	CKA_MODULUS             = 0x120
	CKA_MODULUS_BITS        = 0x121
	CKA_PUBLIC_EXPONENT     = 0x122
	CKA_PRIVATE_EXPONENT    = 0x123
	CKA_PRIME_1             = 0x124
	CKA_PRIME_2             = 0x125
	CKA_EXPONENT_1          = 0x126
	CKA_EXPONENT_2          = 0x127
	CKA_COEFFICIENT         = 0x128
	CKA_PUBLIC_KEY_INFO     = 0x129
	CKA_EXTRACTABLE         = 0x162
	CKA_LOCAL               = 0x163
	CKA_NEVER_EXTRACTABLE   = 0x164
	CKA_ALWAYS_SENSITIVE    = 0x165
	CKA_MODIFIABLE          = 0x170
	CKA_COPYABLE            = 0x171
	CKA_DESTROYABLE         = 0x172
	CKA_EC_PARAMS           = 0x180
	CKA_EC_POINT            = 0x181
	CKA_ALWAYS_AUTHENTICATE = 0x202
	CKA_WRAP_WITH_TRUSTED   = 0x210
	CKA_ALLOWED_MECHANISMS  = 0x40000600
)

// Mechanisms.
const (
	CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0000
	CKM_RSA_PKCS              = 0x0001
	CKM_SHA1_RSA_PKCS         = 0x0006
	CKM_RSA_PKCS_OAEP         = 0x0009
	CKM_RSA_PKCS_PSS          = 0x000D
	CKM_SHA1_RSA_PKCS_PSS     = 0x000E
	CKM_SHA256_RSA_PKCS       = 0x0040
	CKM_SHA384_RSA_PKCS       = 0x0041
	CKM_SHA512_RSA_PKCS       = 0x0042
	CKM_SHA256_RSA_PKCS_PSS   = 0x0043
	CKM_SHA384_RSA_PKCS_PSS   = 0x0044
	CKM_SHA512_RSA_PKCS_PSS   = 0x0045
	CKM_SHA224_RSA_PKCS       = 0x0046
	CKM_SHA224_RSA_PKCS_PSS   = 0x0047
	CKM_SHA_1                 = 0x0220
	CKM_SHA256                = 0x0250
	CKM_SHA224                = 0x0255
	CKM_SHA384                = 0x0260
	CKM_SHA512                = 0x0270
	CKM_EC_KEY_PAIR_GEN       = 0x1040
	CKM_ECDSA                 = 0x1041
	CKM_ECDSA_SHA1            = 0x1042
	CKM_ECDSA_SHA224          = 0x1043
	CKM_ECDSA_SHA256          = 0x1044
	CKM_ECDSA_SHA384          = 0x1045
	CKM_ECDSA_SHA512          = 0x1046
)

// MGF1 generators and the OAEP label source.
const (
	CKG_MGF1_SHA1   = 1
	CKG_MGF1_SHA256 = 2
	CKG_MGF1_SHA384 = 3
	CKG_MGF1_SHA512 = 4
	CKG_MGF1_SHA224 = 5

	CKZ_DATA_SPECIFIED = 1
)

// CK_UNAVAILABLE_INFORMATION is ~0 in a CK_ULONG.
const CK_UNAVAILABLE_INFORMATION = ^uint(0)
