//! Scripts and the exact replies redis-server 7.0.15 gave them (recorded
//! with `EVAL <script> 0` over RESP2), for the libraries Redis gives
//! scripts (cjson, cmsgpack, bit, struct) and its sandbox. Errors carry
//! the script's SHA1, which depends only on its text.

pub const CJSON_CASES: &[(&str, &[u8])] = &[
    (
        r##"return cjson.encode({1,2,{a=3}})"##,
        b"$13\r\n[1,2,{\"a\":3}]\r\n",
    ),
    (
        r##"return cjson.encode({})"##,
        b"$2\r\n{}\r\n",
    ),
    (
        r##"return cjson.encode({[1]=1,[3]=3})"##,
        b"$10\r\n[1,null,3]\r\n",
    ),
    (
        r##"return cjson.encode({1.5, 0.1, 1/3, 1e20, 123456789012345678, -0.0})"##,
        b"$55\r\n[1.5,0.1,0.33333333333333,1e+20,1.2345678901235e+17,-0]\r\n",
    ),
    (
        r##"return cjson.encode({a='x"\\/\n\1\127'})"##,
        b"$29\r\n{\"a\":\"x\\\"\\\\\\/\\n\\u0001\\u007f\"}\r\n",
    ),
    (
        r##"return cjson.encode(cjson.null)"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cjson.encode(1/0)"##,
        b"-ERR user_script:1: Cannot serialise number: must not be NaN or Inf script: 08ffdaa5e7f117332da21c3b5222c2ede9492c60, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode(0/0)"##,
        b"-ERR user_script:1: Cannot serialise number: must not be NaN or Inf script: d3f8d4e745d6587b04e9dd216e0d4631f0a306d9, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({[true]=1})"##,
        b"-ERR user_script:1: Cannot serialise boolean: table key must be a number or string script: 376a640005c8509c694166527ca834359bf69aa8, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({[1.5]=1})"##,
        b"$9\r\n{\"1.5\":1}\r\n",
    ),
    (
        r##"return tostring(cjson.decode('[1,2,null]')[3] == cjson.null)"##,
        b"$4\r\ntrue\r\n",
    ),
    (
        r##"return type(cjson.null)"##,
        b"$8\r\nuserdata\r\n",
    ),
    (
        r##"return cjson.decode('[1,2')"##,
        b"-ERR user_script:1: Expected comma or array end but found T_END at character 5 script: c107001b5ba2ff860ee2557f64da37c4767ef4bd, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{"a":1,}')"##,
        b"-ERR user_script:1: Expected object key string but found T_OBJ_END at character 8 script: 7e3659dd873275ff5047e436b0cc31cc91d160e4, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('')"##,
        b"-ERR user_script:1: Expected value but found T_END at character 1 script: 7ff8cf86abed928f4d61a01dcc9713f0117b180a, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('x')"##,
        b"-ERR user_script:1: Expected value but found invalid token at character 1 script: 5f58dd5cefb3eb0313af3534f36be4b83e79ae80, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('[1] x')"##,
        b"-ERR user_script:1: Expected the end but found invalid token at character 5 script: 90488ed3df43636c96be19291b12cbc738913942, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('"\\u00e9"')"##,
        b"$2\r\n\xc3\xa9\r\n",
    ),
    (
        r##"return cjson.decode('{"a":[1,2.5,"x"]}').a[2]"##,
        b":2\r\n",
    ),
    (
        r##"return cjson.decode('1e400')"##,
        b":-9223372036854775808\r\n",
    ),
    (
        r##"return cjson.encode({1,2,nil,4})"##,
        b"$12\r\n[1,2,null,4]\r\n",
    ),
    (
        r##"return cjson.encode({[2]=1})"##,
        b"$8\r\n[null,1]\r\n",
    ),
    (
        r##"return tostring(cjson.null)"##,
        b"$15\r\nuserdata: (nil)\r\n",
    ),
    (
        r##"return cjson.decode('{1:2}')"##,
        b"-ERR user_script:1: Expected object key string but found T_NUMBER at character 2 script: b7dfc51e0d5bf164c246fe708a2e33743e899be6, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('[1,]')"##,
        b"-ERR user_script:1: Expected value but found T_ARR_END at character 4 script: d31ab1dd313d99d4ad3dac6e48cdff283bea270c, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('"abc')"##,
        b"-ERR user_script:1: Expected value but found unexpected end of string at character 5 script: 30d67c6fb8e066eef4796bfcc59cee500c381744, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('nul')"##,
        b"-ERR user_script:1: Expected value but found invalid token at character 1 script: 5586fdf8c512d9c8a68678c91a0de23617e84e25, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('["\\q"]')"##,
        b"-ERR user_script:1: Expected value but found invalid escape code at character 3 script: 013be5cbb19df8ce05e531fc690f456fc8b071ee, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({a={b={c={}}}})"##,
        b"$20\r\n{\"a\":{\"b\":{\"c\":{}}}}\r\n",
    ),
    (
        r##"return type(cjson.decode('true'))"##,
        b"$7\r\nboolean\r\n",
    ),
    (
        r##"return cjson.encode({[1]=1,a=2})"##,
        b"$13\r\n{\"1\":1,\"a\":2}\r\n",
    ),
    (
        r##"return cjson.encode(12)"##,
        b"$2\r\n12\r\n",
    ),
    (
        r##"return cjson.encode(-12.25)"##,
        b"$6\r\n-12.25\r\n",
    ),
    (
        r##"return cjson.decode(5)"##,
        b":5\r\n",
    ),
    (
        r##"return cjson.encode()"##,
        b"-ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument) script: fc593ea31f478c7ed65c77495cc63edeb9153530, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('[1,2]', 3)"##,
        b"-ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument) script: db4ef5830ea8aac39145f0bae26a87470fe52e1d, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode(1,2)"##,
        b"-ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument) script: 9796fc0f4acc8ba1f9133e705bfd4aa24561765a, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({[20]=1})"##,
        b"-ERR user_script:1: Cannot serialise table: excessively sparse array script: adb6818cba30262cb8d02a736211bbb0a6adbb93, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({[11]=1,[1]=1,[2]=2,[3]=3,[4]=4,[5]=5})"##,
        b"$38\r\n[1,2,3,4,5,null,null,null,null,null,1]\r\n",
    ),
    (
        r##"local t={} local c=t for i=1,1001 do c[1]={} c=c[1] end return cjson.encode(t)"##,
        b"-ERR user_script:1: Cannot serialise, excessive nesting (1001) script: 6f327c65116ac5e7b67ae69a695c3cdc5cb4d9a3, on @user_script:1.\r\n",
    ),
    (
        r##"local t={} local c=t for i=1,999 do c[1]={} c=c[1] end return #cjson.encode(t)"##,
        b":2000\r\n",
    ),
    (
        r##"local s=string.rep('[',1001) return cjson.decode(s)"##,
        b"-ERR user_script:1: Found too many nested data structures (1001) at character 1001 script: a8607a9041cb63c1f4080e49eff9027af5099737, on @user_script:1.\r\n",
    ),
    (
        r##"local s=string.rep('[',1000)..string.rep(']',1000) return type(cjson.decode(s))"##,
        b"$5\r\ntable\r\n",
    ),
    (
        r##"return cjson.decode('0x10')"##,
        b":16\r\n",
    ),
    (
        r##"return cjson.decode('01')"##,
        b":1\r\n",
    ),
    (
        r##"return cjson.decode('-inf')"##,
        b":-9223372036854775808\r\n",
    ),
    (
        r##"return tostring(cjson.decode('nan'))"##,
        b"$3\r\nnan\r\n",
    ),
    (
        r##"return cjson.decode('1.')"##,
        b":1\r\n",
    ),
    (
        r##"return cjson.decode('.5')"##,
        b"-ERR user_script:1: Expected value but found invalid token at character 1 script: 121c0b0f2d2ad62de9456ed953ed7b854d2ec58d, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('+1')"##,
        b":1\r\n",
    ),
    (
        r##"return cjson.decode('[1 2]')"##,
        b"-ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4 script: cae89247ef27d42d411c61ae44ff3af6ab258d99, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{"a" 1}')"##,
        b"-ERR user_script:1: Expected colon but found T_NUMBER at character 6 script: 3486ee24bfdfc100c738c73355e99954ef01d92f, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{"a":1 "b"}')"##,
        b"-ERR user_script:1: Expected comma or object end but found T_STRING at character 8 script: ed604cfa816fcbf85760ca2c8a390a51415cd1aa, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('"\\ud83d\\ude00"')"##,
        b"$4\r\n\xf0\x9f\x98\x80\r\n",
    ),
    (
        r##"return cjson.decode('"\\ud83d"')"##,
        b"-ERR user_script:1: Expected value but found invalid unicode escape code at character 2 script: a6c52b6928b77ab585254f4aad3a29c682736f38, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('"\\udc00"')"##,
        b"-ERR user_script:1: Expected value but found invalid unicode escape code at character 2 script: a551f20265e3eab757862642d41b385fa7b03fa1, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('"\\u12"')"##,
        b"-ERR user_script:1: Expected value but found invalid unicode escape code at character 2 script: abf3d7a6907669d8b3a294456e4dca885645512f, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({[-1]=1})"##,
        b"$8\r\n{\"-1\":1}\r\n",
    ),
    (
        r##"return cjson.encode({[0]=1})"##,
        b"$7\r\n{\"0\":1}\r\n",
    ),
    (
        r##"return cjson.encode(coroutine)"##,
        b"-ERR user_script:1: Cannot serialise function: type not supported script: cd2f8af3d3c8a4374c14437f82dc80225f6f0320, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode({f=function() end})"##,
        b"-ERR user_script:1: Cannot serialise function: type not supported script: f553a5b7a0a31cbdb6c2b020bf120caab5b65793, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('-')"##,
        b"-ERR user_script:1: Expected value but found invalid number at character 1 script: a968c762a4638482bd9ef50dcecdc4504214d87d, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('1e5')"##,
        b":100000\r\n",
    ),
    (
        r##"return cjson.decode('1e')"##,
        b"-ERR user_script:1: Expected the end but found invalid token at character 2 script: 233eff79cc67a332d1af979291114a1307e115c8, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('-1.5e-3')*1000"##,
        b":-1\r\n",
    ),
    (
        r##"return cjson.encode(1e5)"##,
        b"$6\r\n100000\r\n",
    ),
    (
        r##"return cjson.encode(100000000000000)"##,
        b"$5\r\n1e+14\r\n",
    ),
    (
        r##"return cjson.encode(0.00001)"##,
        b"$5\r\n1e-05\r\n",
    ),
    (
        r##"return cjson.decode(' [ ] ')[1]"##,
        b"$-1\r\n",
    ),
    (
        r##"return type(cjson.decode('{}'))"##,
        b"$5\r\ntable\r\n",
    ),
    (
        r##"return cjson.decode('"a\tb"')"##,
        b"$3\r\na\x09b\r\n",
    ),
    (
        r##"return cjson.encode(true)"##,
        b"$4\r\ntrue\r\n",
    ),
    (
        r##"return cjson.decode({})"##,
        b"-ERR user_script:1: bad argument #1 to 'decode' (string expected, got table) script: 10c706d54b3ae7d2bcc169d647405abd961145fa, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode()"##,
        b"-ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument) script: 5378278d59343caf5c3375a655dfea5e69ab8a74, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.encode(redis.call('ping'))"##,
        b"$13\r\n{\"ok\":\"PONG\"}\r\n",
    ),
    (
        r##"return cjson.decode('{"a":{"b":[true,false,null]}}').a.b[2]"##,
        b"$-1\r\n",
    ),
    (
        r##"local ok, e = pcall(cjson.decode, 'x') return {tostring(ok), type(e), e}"##,
        b"*3\r\n$5\r\nfalse\r\n$6\r\nstring\r\n$53\r\nExpected value but found invalid token at character 1\r\n",
    ),
    (
        r##"local ok, e = pcall(cjson.encode, {[true]=1}) return e"##,
        b"$62\r\nCannot serialise boolean: table key must be a number or string\r\n",
    ),
    (
        r##"return cjson._NAME .. cjson._VERSION"##,
        b"$10\r\ncjson2.1.0\r\n",
    ),
    (
        r##"return cjson.encode(string.rep('a', 3))"##,
        b"$5\r\n\"aaa\"\r\n",
    ),
    (
        r##"return cjson.decode('"\\b\\f\\n\\r\\t\\/\\\\\\""')"##,
        b"$8\r\n\x08\x0c\n\r\x09/\\\"\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode('{"k":[1,{"x":"y"}]}'))"##,
        b"$19\r\n{\"k\":[1,{\"x\":\"y\"}]}\r\n",
    ),
    (
        r##"return cjson.decode('[1,2,3]  ')[3]"##,
        b":3\r\n",
    ),
    (
        r##"return cjson.decode('true false')"##,
        b"-ERR user_script:1: Expected the end but found T_BOOLEAN at character 6 script: f4569b3ad7ed130e234f7e9f3e5dca4943eb4f02, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{"a":1}{')"##,
        b"-ERR user_script:1: Expected the end but found T_OBJ_BEGIN at character 8 script: e06a9122089c9574c32f45b64cb0ead823f56dbb, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('[')"##,
        b"-ERR user_script:1: Expected value but found T_END at character 2 script: fa22f6775c4b5a7555f7903baca8d69e9a2a52fd, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{')"##,
        b"-ERR user_script:1: Expected object key string but found T_END at character 2 script: 6c60bbb22c4b71b0415e4e539d6dc66cc27df21d, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{"a"')"##,
        b"-ERR user_script:1: Expected colon but found T_END at character 5 script: 7e79737d44b47752451998b04c4f9fbd829395bc, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('{"a":')"##,
        b"-ERR user_script:1: Expected value but found T_END at character 6 script: 9ac0f551e097a39c64b39342e3f1952f29ac6e07, on @user_script:1.\r\n",
    ),
    (
        r##"return cjson.decode('"\\u0041\\u00"')"##,
        b"-ERR user_script:1: Expected value but found invalid unicode escape code at character 8 script: cd86a412603ed1a37773fa3160ac91e2d6d75b67, on @user_script:1.\r\n",
    ),
];

pub const MSGPACK_CASES: &[(&str, &[u8])] = &[
    (
        r##"return cmsgpack.pack({1,2,3})"##,
        b"$4\r\n\x93\x01\x02\x03\r\n",
    ),
    (
        r##"return cmsgpack.pack(1,-1,-32,-33,127,128,255,256,65535,65536,4294967295,4294967296,-128,-129,-32768,-32769,-2147483648,-2147483649)"##,
        b"$62\r\n\x01\xff\xe0\xd0\xdf\x7f\xcc\x80\xcc\xff\xcd\x01\x00\xcd\xff\xff\xce\x00\x01\x00\x00\xce\xff\xff\xff\xff\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xd0\x80\xd1\xff\x7f\xd1\x80\x00\xd2\xff\xff\x7f\xff\xd2\x80\x00\x00\x00\xd3\xff\xff\xff\xff\x7f\xff\xff\xff\r\n",
    ),
    (
        r##"return cmsgpack.pack(1.5, 0.1, 1e300, -0.0, 1/0, -1/0, 2^63, -2^63, 2^64)"##,
        b"$53\r\n\xca?\xc0\x00\x00\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xcb~7\xe4<\x88\x00u\x9c\x00\xca\xff\x80\x00\x00\xca\x7f\x80\x00\x00\xca_\x00\x00\x00\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xca_\x80\x00\x00\r\n",
    ),
    (
        r##"return cmsgpack.pack(true,false,nil)"##,
        b"$3\r\n\xc3\xc2\xc0\r\n",
    ),
    (
        r##"return cmsgpack.pack({a=1})"##,
        b"$4\r\n\x81\xa1a\x01\r\n",
    ),
    (
        r##"return cmsgpack.pack({})"##,
        b"$1\r\n\x90\r\n",
    ),
    (
        r##"return cmsgpack.pack(string.rep('x',31), string.rep('y',32), string.rep('z', 300))"##,
        b"$369\r\n\xbfxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xd9 yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\xda\x01,zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n",
    ),
    (
        r##"return #cmsgpack.pack(string.rep('z', 70000))"##,
        b":70005\r\n",
    ),
    (
        r##"return cmsgpack.pack({[1]=1,[3]=3})"##,
        b"$5\r\n\x82\x01\x01\x03\x03\r\n",
    ),
    (
        r##"return cmsgpack.pack(cjson.null)"##,
        b"$1\r\n\xc0\r\n",
    ),
    (
        r##"return cmsgpack.pack(2^53)"##,
        b"$9\r\n\xcf\x00 \x00\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return cmsgpack.pack()"##,
        b"-ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: 6bc235afa55de88253e203cc5fe5844792e25209, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0x93))"##,
        b"-ERR user_script:1: Missing bytes in input. script: c8bd48383767c30d5f864723f648876aaef3e8c6, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0xc1))"##,
        b"-ERR user_script:1: Bad data format in input. script: 2ac58dacf1d7b948cadb05031e34b96c0a0332a3, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0x92,1))"##,
        b"-ERR user_script:1: Missing bytes in input. script: 5d73278f0df6a34222a74a9a36f0baaf1d0bbdc7, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0xcd,1))"##,
        b"-ERR user_script:1: Missing bytes in input. script: fad5ce26d67fea0b2a610094bd4a11609784916a, on @user_script:1.\r\n",
    ),
    (
        r##"return {cmsgpack.unpack(string.char(0xd9,1,65,0xda,0,1,66,0xdb,0,0,0,1,67,0xdc,0,1,1,0xde,0,1,1,2,0xd0,0x80,0xd3,255,255,255,255,255,255,255,255,0xcf,0,0,0,0,0,0,0,5))}"##,
        b"*8\r\n$1\r\nA\r\n$1\r\nB\r\n$1\r\nC\r\n*1\r\n:1\r\n*1\r\n:2\r\n:-128\r\n:-1\r\n:5\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3),0,2)}"##,
        b"*1\r\n:2\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 3)}"##,
        b"*1\r\n:-1\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 4)}"##,
        b"-ERR user_script:1: Start offset 4 greater than input length 3. script: 835f0a4619f4a40c04cb29a39b674f2dd64d7de5, on @user_script:1.\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), -1)}"##,
        b"-ERR user_script:1: Invalid request to unpack with offset of -1 and limit of 3. script: 0a58dde678f242a44ade83cd08d90c51ba688179, on @user_script:1.\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3),-1)}"##,
        b"-ERR user_script:1: Invalid request to unpack with offset of 0 and limit of 3. script: ae55ef6ecbc44fb550c0acefd98e239fa7cbd9f5, on @user_script:1.\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3),2)}"##,
        b"*3\r\n:2\r\n:1\r\n:2\r\n",
    ),
    (
        r##"return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}"##,
        b"*2\r\n:1\r\n:1\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0x81,0xc0,1))"##,
        b"-ERR table index is nil script: 59d7088986ca16aaa7c2142260703a2f5de0db48, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0xca,0x3f,0xc0,0,0))*10"##,
        b":15\r\n",
    ),
    (
        r##"return {cmsgpack.unpack(cmsgpack.pack(1,'a',{1,2},{x=3}))}"##,
        b"*4\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n*0\r\n",
    ),
    (
        r##"return cmsgpack.unpack()"##,
        b"-ERR user_script:1: bad argument #1 to 'unpack' (string expected, got no value) script: 78103c0f3f46e5897cb5d2fad8dfb28bd38e0eeb, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.unpack('')"##,
        b"$-1\r\n",
    ),
    (
        r##"return cmsgpack.unpack(5)"##,
        b":53\r\n",
    ),
    (
        r##"return {cmsgpack.unpack(string.char(0xc4,2,65,66))}"##,
        b"-ERR user_script:1: Bad data format in input. script: 50eb8c302313e82cb24f8ae962d00c4188872522, on @user_script:1.\r\n",
    ),
    (
        r##"local t={} local c=t for i=1,20 do c[1]={} c=c[1] end return cmsgpack.pack(t)"##,
        b"$17\r\n\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0\r\n",
    ),
    (
        r##"return cmsgpack.unpack(cmsgpack.pack(0.1))*10"##,
        b":1\r\n",
    ),
    (
        r##"return cmsgpack.unpack(cmsgpack.pack({a=true})).a"##,
        b":1\r\n",
    ),
    (
        r##"return cmsgpack.pack({1,2,x=3})"##,
        b"$8\r\n\x83\x01\x01\x02\x02\xa1x\x03\r\n",
    ),
    (
        r##"return cmsgpack.pack({[1.5]=1})"##,
        b"$7\r\n\x81\xca?\xc0\x00\x00\x01\r\n",
    ),
    (
        r##"return cmsgpack.pack(print)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: 03dc4e923c6d085791dfd9c3435b08591e5a10aa, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.pack(function() end, coroutine.create(function() end))"##,
        b"$2\r\n\xc0\xc0\r\n",
    ),
    (
        r##"return cmsgpack._NAME .. cmsgpack._VERSION"##,
        b"$26\r\ncmsgpacklua-cmsgpack 0.4.0\r\n",
    ),
    (
        r##"return #cmsgpack.pack((function() local t={} for i=1,20 do t[i]=i end return t end)())"##,
        b":23\r\n",
    ),
    (
        r##"return cmsgpack.pack((function() local t={} for i=1,20 do t['k'..i]=i end return t end)()):sub(1,3)"##,
        b"$3\r\n\xde\x00\x14\r\n",
    ),
    (
        r##"local ok, e = pcall(cmsgpack.unpack, string.char(0x93)) return e"##,
        b"$23\r\nMissing bytes in input.\r\n",
    ),
    (
        r##"return cmsgpack.unpack(cmsgpack.pack(-2^63))"##,
        b":-9223372036854775808\r\n",
    ),
    (
        r##"return cmsgpack.unpack(cmsgpack.pack(-5.5))*2"##,
        b":-11\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0xcf,255,255,255,255,255,255,255,255))"##,
        b":-1\r\n",
    ),
    (
        r##"return cmsgpack.unpack(string.char(0xd4,1,1))"##,
        b"-ERR user_script:1: Bad data format in input. script: a9470e6d3a21020501b1a15ab91973bf135d88d5, on @user_script:1.\r\n",
    ),
    (
        r##"return cmsgpack.pack(coroutine):sub(1,1)"##,
        b"$1\r\n\x86\r\n",
    ),
];

pub const BIT_CASES: &[(&str, &[u8])] = &[
    (
        r##"return bit.tohex(-1, -4)..' '..bit.tohex(255)..' '..bit.tohex(255, 2)..' '..bit.tohex(1,12)..' '..bit.tohex(1,0)"##,
        b"$26\r\nFFFF 000000ff ff 00000001 \r\n",
    ),
    (
        r##"return {bit.tobit(2^32+1), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(0xffffffff), bit.tobit(2^53+3), bit.tobit(-2^40-1)}"##,
        b"*7\r\n:1\r\n:2\r\n:2\r\n:-2\r\n:-1\r\n:2\r\n:-1\r\n",
    ),
    (
        r##"return {bit.lshift(1,31), bit.rshift(-1,28), bit.arshift(-256,4), bit.rol(0x12345678,12), bit.ror(0x12345678,12), bit.bswap(0x12345678), bit.band(0xff,0x0f,0x3), bit.bor(1,2,4), bit.bxor(1,3), bit.bnot(0), bit.lshift(1,33)}"##,
        b"*11\r\n:-2147483648\r\n:15\r\n:-16\r\n:1164411171\r\n:1736516421\r\n:2018915346\r\n:3\r\n:7\r\n:2\r\n:-1\r\n:2\r\n",
    ),
    (
        r##"return bit.band()"##,
        b"-ERR user_script:1: bad argument #1 to 'band' (number expected, got no value) script: 5cf53f885283a4f44a8fe7ad7e7fccaed4113e62, on @user_script:1.\r\n",
    ),
    (
        r##"return bit.band('x')"##,
        b"-ERR user_script:1: bad argument #1 to 'band' (number expected, got string) script: d35c9a1d4f4825ae2c0656c3cb8c9f397ca6d9b1, on @user_script:1.\r\n",
    ),
    (
        r##"return bit.band('0x10', '3')"##,
        b":0\r\n",
    ),
    (
        r##"return bit.tohex()"##,
        b"-ERR user_script:1: bad argument #1 to 'tohex' (number expected, got no value) script: bbebe1b19aaebf97fcec4b5510d6e6a9817e9192, on @user_script:1.\r\n",
    ),
    (
        r##"return bit.tobit(0/0)"##,
        b":0\r\n",
    ),
    (
        r##"return bit.tobit(1/0)"##,
        b":0\r\n",
    ),
    (
        r##"return bit.band(1, {})"##,
        b"-ERR user_script:1: bad argument #2 to 'band' (number expected, got table) script: 6a05629315079201399701ee15b1ea4d3af587f6, on @user_script:1.\r\n",
    ),
    (
        r##"return bit.lshift(1)"##,
        b"-ERR user_script:1: bad argument #2 to 'lshift' (number expected, got no value) script: 96ef0de5140ab932215a1863ca1373f10f03b7a6, on @user_script:1.\r\n",
    ),
    (
        r##"return bit.tohex(255, 'x')"##,
        b"-ERR user_script:1: bad argument #2 to 'tohex' (number expected, got string) script: 5b0aaa46ca6b30da66e84216d6a35c4da01e199e, on @user_script:1.\r\n",
    ),
    (
        r##"return bit.tohex('255')"##,
        b"$8\r\n000000ff\r\n",
    ),
    (
        r##"return {bit.rshift(0x80000000, 31), bit.arshift(0x80000000, 31), bit.rol(1, -1), bit.ror(1, 33)}"##,
        b"*4\r\n:1\r\n:-1\r\n:-2147483648\r\n:-2147483648\r\n",
    ),
    (
        r##"return bit.bxor(1,2,4,8,16)"##,
        b":31\r\n",
    ),
    (
        r##"return bit.tohex(-1, -9)"##,
        b"$8\r\nFFFFFFFF\r\n",
    ),
    (
        r##"return bit.tohex(0x1234, 3)"##,
        b"$3\r\n234\r\n",
    ),
    (
        r##"return bit.bnot(2^31)"##,
        b":2147483647\r\n",
    ),
];

pub const STRUCT_CASES: &[(&str, &[u8])] = &[
    (
        r##"return struct.pack('>I2', 258)"##,
        b"$2\r\n\x01\x02\r\n",
    ),
    (
        r##"return {struct.unpack('>I2', struct.pack('>I2', 258))}"##,
        b"*2\r\n:258\r\n:3\r\n",
    ),
    (
        r##"return struct.size('>iIhHbBlLfdxc3')"##,
        b":46\r\n",
    ),
    (
        r##"return struct.size('!ibd')"##,
        b":16\r\n",
    ),
    (
        r##"return struct.size('s')"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: a2a0525826ab7939ccd3f54427a862205642f28f, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('z', 1)"##,
        b"-ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'z') script: b1a49a62278d772f47cfca6a679bc33c0fa64430, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('<i', 'ab')}"##,
        b"-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 06b35bcba56919697d1aec334e8f6cefd65f9a4d, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('s', 'ab')}"##,
        b"-ERR user_script:1: unfinished string in data script: 663a8a7d5280e34ca9b4ae460750f699731c3d1d, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('bB', string.char(255,255))}"##,
        b"*3\r\n:-1\r\n:255\r\n:3\r\n",
    ),
    (
        r##"return {struct.unpack('c0', 'ab')}"##,
        b"-ERR user_script:1: format 'c0' needs a previous size script: 7107716194b45eb316265220449b8cd0bde82418, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('Bc0', string.char(2)..'abc')}"##,
        b"*2\r\n$2\r\nab\r\n:4\r\n",
    ),
    (
        r##"return struct.pack('c', 'abc')"##,
        b"$1\r\na\r\n",
    ),
    (
        r##"return struct.pack('c5', 'abc')"##,
        b"-ERR user_script:1: bad argument #3 to 'pack' (string too short) script: 038a9d42b8dd39ef881b25ccd1dad93747c81a25, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('i17', 1)"##,
        b"$17\r\n\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('>i3', string.char(255,255,254))}"##,
        b"*2\r\n:-2\r\n:4\r\n",
    ),
    (
        r##"return {struct.unpack('<d', struct.pack('<d', 1.5))}"##,
        b"*2\r\n:1\r\n:9\r\n",
    ),
    (
        r##"return struct.pack('i', 'x')"##,
        b"-ERR user_script:1: bad argument #2 to 'pack' (number expected, got string) script: 72d01f23645269179316b093775c7fa64478554a, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('i', 'abcd', 2)}"##,
        b"-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 2b1ce6a9ba5df85bd151d2c0e4cc9c446f39f5de, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('i', 'abcdefgh', 2)}"##,
        b"*2\r\n:1701077858\r\n:6\r\n",
    ),
    (
        r##"return struct.pack('!4 b i', 1, 2)"##,
        b"$8\r\n\x01\x00\x00\x00\x02\x00\x00\x00\r\n",
    ),
    (
        r##"return struct.pack('!3 i', 1)"##,
        b"-ERR user_script:1: alignment 3 is not a power of 2 script: ceba564af1ec234f144dd411387773dddb742900, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('L', struct.pack('L', -1))}"##,
        b"*2\r\n:-9223372036854775808\r\n:9\r\n",
    ),
    (
        r##"return struct.pack('<I', 2^32+5)"##,
        b"$4\r\n\x05\x00\x00\x00\r\n",
    ),
    (
        r##"return struct.pack('<i', -2.7)"##,
        b"$4\r\n\xfe\xff\xff\xff\r\n",
    ),
    (
        r##"return struct.pack('<f', 0.1)"##,
        b"$4\r\n\xcd\xcc\xcc=\r\n",
    ),
    (
        r##"return struct.pack('sx', 'ab')"##,
        b"$4\r\nab\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('z', 'ab')}"##,
        b"-ERR user_script:1: bad argument #1 to 'unpack' (invalid format option 'z') script: dc915eba57298c4741695964299a02c8f74b9939, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('b', 300)"##,
        b"$1\r\n,\r\n",
    ),
    (
        r##"return struct.pack('i')"##,
        b"-ERR user_script:1: bad argument #2 to 'pack' (number expected, got nil) script: 63b299178a495d059d925846f3a5f58587cb30c9, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('<i10', -1)"##,
        b"$10\r\n\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\r\n",
    ),
    (
        r##"return struct.pack('>i10', -2)"##,
        b"$10\r\n\x00\x00\xff\xff\xff\xff\xff\xff\xff\xfe\r\n",
    ),
    (
        r##"return {struct.unpack('i', 'abcdefgh', 0)}"##,
        b"-ERR user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater) script: b8c96a1e668ceeaf1ce36fd3ab7767fd77619f2a, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('i', 'abcdefgh', -1)}"##,
        b"-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 4d8e70f5c4680ec04223de8d31e72272578b9bc3, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('i', 'abcdefgh', 20)}"##,
        b"-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: cb370a878b64ddba346b5396e9b23f34eac9519d, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.size('i33')"##,
        b"-ERR user_script:1: integral size 33 is larger than limit of 32 script: 971b8442ed57a477454e5ab5cf888849b8b0f029, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.size('c0')"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size) script: 18f217e7d560de92703dc71e9797e043b536e0e6, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.size('!i')"##,
        b":4\r\n",
    ),
    (
        r##"return struct.pack('!2 b d', 1, 2)"##,
        b"$10\r\n\x01\x00\x00\x00\x00\x00\x00\x00\x00@\r\n",
    ),
    (
        r##"return struct.pack('>!h b i', 1, 2, 3)"##,
        b"$8\r\n\x00\x01\x02\x00\x00\x00\x00\x03\r\n",
    ),
    (
        r##"return {struct.unpack('<i12', struct.pack('<i12', -5))}"##,
        b"*2\r\n:-5\r\n:13\r\n",
    ),
    (
        r##"return struct.pack('b')"##,
        b"-ERR user_script:1: bad argument #2 to 'pack' (number expected, got nil) script: fd20463fb1ef62aa4fafca9dfa083b276ab7d453, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.unpack()"##,
        b"-ERR user_script:1: bad argument #1 to 'unpack' (string expected, got no value) script: 11f6b89e7df5d47a3c2a516ceb347b9bf03ed9b1, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('c0', 'abc')"##,
        b"$3\r\nabc\r\n",
    ),
    (
        r##"return struct.pack('T', 3)"##,
        b"$8\r\n\x03\x00\x00\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('>H', 'a')}"##,
        b"-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: 1245bbc487acfd4d85322239d16e52b9ee209c0d, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('c2', 'abc')}"##,
        b"*2\r\n$2\r\nab\r\n:3\r\n",
    ),
    (
        r##"return struct.pack('i99999999999999999999', 1)"##,
        b"-ERR user_script:1: integral size overflow script: 6886a3e89de9b6d91ac5a4662c73b1423c608539, on @user_script:1.\r\n",
    ),
    (
        r##"return {struct.unpack('>hHlLf', struct.pack('>hHlLf', -2, 65535, -3, 7, 0.25))}"##,
        b"*6\r\n:-2\r\n:65535\r\n:-3\r\n:7\r\n:0\r\n:25\r\n",
    ),
    (
        r##"return {struct.unpack('s s', struct.pack('s s', 'ab', 'cd'))}"##,
        b"*3\r\n$2\r\nab\r\n$2\r\ncd\r\n:7\r\n",
    ),
    (
        r##"return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, -2))}"##,
        b"*3\r\n:1\r\n:-2\r\n:9\r\n",
    ),
    (
        r##"return struct.size('!8 b d b')"##,
        b":17\r\n",
    ),
    (
        r##"return struct.size('!')"##,
        b":0\r\n",
    ),
    (
        r##"return struct.pack('<i2', 70000)"##,
        b"$2\r\np\x11\r\n",
    ),
    (
        r##"return {struct.unpack('x b', 'ab')}"##,
        b"*2\r\n:98\r\n:3\r\n",
    ),
    (
        r##"local ok, e = pcall(struct.pack, 'q') return e"##,
        b"$50\r\nbad argument #1 to '?' (invalid format option 'q')\r\n",
    ),
    (
        r##"return struct.pack()"##,
        b"-ERR user_script:1: bad argument #1 to 'pack' (string expected, got no value) script: c9b8aed4f0633591e6252db264bf8b86b82828d5, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.size()"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (string expected, got no value) script: 4c30ee4bce24a141420f334922489017312786e7, on @user_script:1.\r\n",
    ),
];

pub const SANDBOX_CASES: &[(&str, &[u8])] = &[
    (
        r##"return {loadstring(string.char(27)..'Lua')}"##,
        b"*0\r\n",
    ),
    (
        r##"return select(2, loadstring(string.char(27)..'Lua'))"##,
        b"$52\r\n[string \"\x1bLua\"]:1: unexpected symbol near 'char(27)'\r\n",
    ),
    (
        r##"return {loadstring('return 1')()}"##,
        b"*1\r\n:1\r\n",
    ),
    (
        r##"return {load(function() return nil end)}"##,
        b"*1\r\n$-1\r\n",
    ),
    (
        r##"return select(2, load(function() return nil end))"##,
        b"$-1\r\n",
    ),
    (
        r##"return tostring(select(2, loadstring('x=')))"##,
        b"$47\r\n[string \"x=\"]:1: unexpected symbol near '<eof>'\r\n",
    ),
    (
        r##"local i=0 return select(2, load(function() i=i+1 if i==1 then return string.char(27) end return nil end))"##,
        b"$43\r\n(load):1: unexpected symbol near 'char(27)'\r\n",
    ),
    (
        r##"local i=0 return load(function() i=i+1 if i==1 then return 'return ' elseif i==2 then return '42' end end)()"##,
        b":42\r\n",
    ),
    (
        r##"local f = loadstring(string.dump(function() return 1 end)) return f()"##,
        b"-ERR user_script:1: attempt to call local 'f' (a nil value) script: 469c36c8f3606d3c5b4e1a7a57fab38e45409219, on @user_script:1.\r\n",
    ),
    (
        r##"return type(string.dump)"##,
        b"$8\r\nfunction\r\n",
    ),
    (
        r##"return collectgarbage('count') > 0"##,
        b":1\r\n",
    ),
    (
        r##"return gcinfo() > 0"##,
        b":1\r\n",
    ),
    (
        r##"return type(newproxy)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'newproxy' script: 2db8cbf73e97a4b7d8d1a7ce472bf57302f0f369, on @user_script:1.\r\n",
    ),
    (
        r##"return type(getfenv)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'getfenv' script: d2c7282719af3bf866eec648f4592730ecb3a75f, on @user_script:1.\r\n",
    ),
    (
        r##"return type(setfenv)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'setfenv' script: ceaddaad3558d2f10cbb8082ea10e1b63f3ac0ea, on @user_script:1.\r\n",
    ),
    (
        r##"return type(coroutine.wrap)"##,
        b"$8\r\nfunction\r\n",
    ),
    (
        r##"return type(print)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: 296aa29e565df267b5e30e498f3872c9f9e8e8cc, on @user_script:1.\r\n",
    ),
    (
        r##"return unpack({1,2})"##,
        b":1\r\n",
    ),
    (
        r##"return _VERSION"##,
        b"$7\r\nLua 5.1\r\n",
    ),
    (
        r##"return type(os)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: 88bfcb2247db0b6fa4925f3cddc3fd0651459f99, on @user_script:1.\r\n",
    ),
    (
        r##"return type(module)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'module' script: ec1c6cc4fb3e3178e6b741a3338324a32a935d97, on @user_script:1.\r\n",
    ),
    (
        r##"return type(require)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'require' script: a10ff9bcfafac54cee41502b0e65e31ab05862c3, on @user_script:1.\r\n",
    ),
    (
        r##"return type(dofile)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'dofile' script: f14b399205539f5db37113032a1a25c72b8c6743, on @user_script:1.\r\n",
    ),
    (
        r##"return type(loadfile)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: dc6fbc079d0e6ef2af8c376dda4f3d362fa30d87, on @user_script:1.\r\n",
    ),
    (
        r##"return type(debug)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'debug' script: 21bcbd6f0f3639ee18732cb6907e65a4859b9625, on @user_script:1.\r\n",
    ),
    (
        r##"return type(io)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'io' script: 918bbded8bab006be53c3db116d9c93508fc799a, on @user_script:1.\r\n",
    ),
    (
        r##"return type(package)"##,
        b"-ERR user_script:1: Script attempted to access nonexistent global variable 'package' script: 9d2e094dbe8b2fe1613bf6e8e2abe7b98d1569b8, on @user_script:1.\r\n",
    ),
    (
        r##"return type(xpcall)"##,
        b"$8\r\nfunction\r\n",
    ),
    (
        r##"return type(rawequal)"##,
        b"$8\r\nfunction\r\n",
    ),
    (
        r##"return {pcall(loadstring('x=1'))}"##,
        b"*2\r\n$-1\r\n$52\r\n[string \"x=1\"]:1: Attempt to modify a readonly table\r\n",
    ),
    (
        r##"x = 1"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.\r\n",
    ),
    (
        r##"local co = coroutine.create(function(a) local b = coroutine.yield(a+1) return b*2 end) local _, r1 = coroutine.resume(co, 1) local _, r2 = coroutine.resume(co, 10) return {r1, r2}"##,
        b"*2\r\n:2\r\n:20\r\n",
    ),
    (
        r##"return coroutine.status(coroutine.create(function() end))"##,
        b"$9\r\nsuspended\r\n",
    ),
    (
        r##"local ok, e = pcall(error, 'boom', 0) return e"##,
        b"$4\r\nboom\r\n",
    ),
    (
        r##"local ok, e = pcall(error, {x=1}) return type(e)"##,
        b"$5\r\ntable\r\n",
    ),
    (
        r##"return tostring(select('#', 1, 2, 3))"##,
        b"$1\r\n3\r\n",
    ),
    (
        r##"return type(_G)"##,
        b"$5\r\ntable\r\n",
    ),
    (
        r##"return rawget(_G, 'nosuch') == nil"##,
        b":1\r\n",
    ),
    (
        r##"return next({})"##,
        b"$-1\r\n",
    ),
];

pub const READONLY_CASES: &[(&str, &[u8])] = &[
    (
        r##"cjson.x=1"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 6b779d3a65c4eaeb85509709a896dad5524e45cb, on @user_script:1.\r\n",
    ),
    (
        r##"bit.x=1"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 43c559870e70bcf803f55b3af3a2d9b9cf33b70f, on @user_script:1.\r\n",
    ),
    (
        r##"string.sub = nil return 1"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 2882c3db5260d785f10b9602315ce325de666ec8, on @user_script:1.\r\n",
    ),
    (
        r##"math.x = 1 return math.x"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: fdbe5faf28d05452baa64d3fd0b6d17db41406f7, on @user_script:1.\r\n",
    ),
    (
        r##"redis.call = nil"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 2786c35ed73d3860851cf52e0b5dfbbc0bdb4803, on @user_script:1.\r\n",
    ),
    (
        r##"table.insert = nil"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 5930172eaf13a2d39bccc689d15bde0632333dab, on @user_script:1.\r\n",
    ),
    (
        r##"coroutine.x = 1"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 20aeac3c8837d9aed585235446a1bace606312a5, on @user_script:1.\r\n",
    ),
    (
        r##"struct.pack = nil"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: 9bdaa291383c17ba0baeb5a45005e3962367fc01, on @user_script:1.\r\n",
    ),
    (
        r##"cmsgpack.pack = 1"##,
        b"-ERR user_script:1: Attempt to modify a readonly table script: d6abb2226d9ca9ea3d8ca223aa3aebc3539d11ef, on @user_script:1.\r\n",
    ),
    (
        r##"return string.format('%d-%s', 5, 'x')"##,
        b"$3\r\n5-x\r\n",
    ),
    (
        r##"return ('abc'):upper()"##,
        b"$3\r\nABC\r\n",
    ),
    (
        r##"return table.concat({1,2}, ',')"##,
        b"$3\r\n1,2\r\n",
    ),
    (
        r##"return math.floor(2.5)"##,
        b":2\r\n",
    ),
    (
        r##"return redis.call('hget', 'h', 'a')"##,
        b"$-1\r\n",
    ),
];

/// Errors of redis.call and the redis library, with h = {a: 1}.
pub const REDIS_ERRORS_CASES: &[(&str, &[u8])] = &[
    (
        r##"local ok, e = pcall(redis.call, 'incr', 'h') return {type(e), e.err}"##,
        b"*1\r\n$6\r\nstring\r\n",
    ),
    (
        r##"local ok, e = pcall(redis.call, 'incr', 'h') return e"##,
        b"$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    ),
    (
        r##"local ok, e = pcall(redis.call, 'nosuchcmd') return {type(e), e}"##,
        b"*2\r\n$6\r\nstring\r\n$44\r\nERR Unknown Redis command called from script\r\n",
    ),
    (
        r##"return redis.call('incr', 'h')"##,
        b"-WRONGTYPE Operation against a key holding the wrong kind of value script: 8b0ab7376b00abdc7d1e9c407abb98f4dab69fc2, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.pcall('incr', 'h')"##,
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    ),
    (
        r##"error('plain')"##,
        b"-ERR user_script:1: plain script: 7c69090d716b3b899dd0365cfdda40b6cf8ae98d, on @user_script:1.\r\n",
    ),
    (
        r##"local ok, e = pcall(redis.setresp, 4) return e"##,
        b"$32\r\nERR RESP version must be 2 or 3.\r\n",
    ),
    (
        r##"local ok, e = pcall(cjson.decode, 'x') return type(e)"##,
        b"$6\r\nstring\r\n",
    ),
    (
        r##"pcall(redis.call, 'incr', 'h') error('later')"##,
        b"-ERR user_script:1: later script: b34cbabf7fbebdb87499cdd14d6598dd4e3e9f83, on @user_script:1.\r\n",
    ),
    (
        r##"pcall(redis.call, 'incr', 'h') return redis.call('incr', 'h')"##,
        b"-WRONGTYPE Operation against a key holding the wrong kind of value script: e648a479e581e4c6f289849d2f3cb0913b545e46, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.call()"##,
        b"-ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.call({})"##,
        b"-ERR Lua redis lib command arguments must be strings or integers script: 80747816df1f4411f7c442b928fce6a814214839, on @user_script:1.\r\n",
    ),
    (
        r##"local ok, e = pcall(redis.call) return e"##,
        b"$64\r\nERR Please specify at least one argument for this redis lib call\r\n",
    ),
    (
        r##"return {pcall(redis.call, 'get', 'x')}"##,
        b"*2\r\n:1\r\n$-1\r\n",
    ),
];

/// The rest of the redis library.
pub const REDISLIB_CASES: &[(&str, &[u8])] = &[
    (
        r##"return {redis.REPL_ALL, redis.REPL_AOF, redis.REPL_NONE, redis.REPL_REPLICA, redis.REPL_SLAVE}"##,
        b"*5\r\n:3\r\n:1\r\n:0\r\n:2\r\n:2\r\n",
    ),
    (
        r##"return redis.replicate_commands()"##,
        b":1\r\n",
    ),
    (
        r##"return redis.set_repl(redis.REPL_ALL)"##,
        b"$-1\r\n",
    ),
    (
        r##"return redis.set_repl(9)"##,
        b"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: f43d522179aeb2c4dadb59b026d11ed249ca02e0, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.set_repl()"##,
        b"-ERR redis.set_repl() requires two arguments. script: 9504533b41060c143a92eb2f8878e77d33b6dc33, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.set_repl(1, 2)"##,
        b"-ERR redis.set_repl() requires two arguments. script: c9c67092b486cf34f4561d4502d9ef00d83cee35, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.breakpoint()"##,
        b"$-1\r\n",
    ),
    (
        r##"return redis.debug('x')"##,
        b"$-1\r\n",
    ),
    (
        r##"return redis.acl_check_cmd('get','x')"##,
        b":1\r\n",
    ),
    (
        r##"return redis.acl_check_cmd('nosuch')"##,
        b"-ERR Invalid command passed to redis.acl_check_cmd() script: d2491587bab5149c93be0dce4426f7a06ba9e1a1, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.acl_check_cmd()"##,
        b"-ERR Please specify at least one argument for this redis lib call script: 1124f33ad66e7866b4e0c1499a4c20fb5eb9c180, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.setresp(3, 4)"##,
        b"-ERR redis.setresp() requires one argument. script: da2320ee9fcab3537eb1ee9e51df792ad3394c5c, on @user_script:1.\r\n",
    ),
    (
        r##"local ok, e = pcall(redis.setresp, 4) return e"##,
        b"$32\r\nERR RESP version must be 2 or 3.\r\n",
    ),
    (
        r##"return redis.REDIS_VERSION_NUM == bit.bor(bit.lshift(tonumber(redis.REDIS_VERSION:match('^(%d+)')), 16), bit.lshift(tonumber(redis.REDIS_VERSION:match('^%d+%.(%d+)')), 8), tonumber(redis.REDIS_VERSION:match('(%d+)$')))"##,
        b":1\r\n",
    ),
];

/// redis.setresp and the RESP3 shapes, to a RESP2 client (after HELLO 2), with
/// h = {a: 1}, s = {x}, z = {m: 1.5}, n = 5.
pub const RESP2_CLIENT_CASES: &[(&str, &[u8])] = &[
    (
        r##"redis.setresp(3) local t = redis.call('hgetall', 'h') return {type(t), type(t.map), t.map.a}"##,
        b"*3\r\n$5\r\ntable\r\n$5\r\ntable\r\n$1\r\n1\r\n",
    ),
    (
        r##"redis.setresp(3) local t = redis.call('smembers', 's') return {type(t.set), tostring(t.set.x)}"##,
        b"*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n",
    ),
    (
        r##"redis.setresp(3) local t = redis.call('incrbyfloat', 'n', '0.5') return type(t)"##,
        b"$6\r\nstring\r\n",
    ),
    (
        r##"redis.setresp(3) local t = redis.call('get', 'nokey') return type(t)"##,
        b"$3\r\nnil\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('hgetall', 'h')"##,
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('smembers', 's')"##,
        b"*1\r\n$1\r\nx\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('zscore', 'z', 'm')"##,
        b"$3\r\n1.5\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('zrange', 'z', '0', '-1', 'withscores')"##,
        b"*1\r\n*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('get', 'nokey')"##,
        b"$-1\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('hello')"##,
        b"-ERR This Redis command is not allowed from script script: 36d945673c244d989a60eea9c0b97ebcb8b639ea, on @user_script:1.\r\n",
    ),
    (
        r##"redis.setresp(3) return {type(redis.call('zscore', 'z', 'm')), redis.call('zscore', 'z', 'm').double}"##,
        b"*2\r\n$5\r\ntable\r\n:1\r\n",
    ),
    (
        r##"redis.setresp(2) return redis.call('hgetall', 'h')"##,
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        r##"redis.setresp(2) return redis.call('zscore', 'z', 'm')"##,
        b"$3\r\n1.5\r\n",
    ),
    (
        r##"return redis.call('hgetall', 'h')"##,
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        r##"return {map={a=1}}"##,
        b"*2\r\n$1\r\na\r\n:1\r\n",
    ),
    (
        r##"return {map={a={1,2}, b={map={c='d'}}}}"##,
        b"*4\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n$1\r\nd\r\n",
    ),
    (
        r##"return {set={x=true}}"##,
        b"*1\r\n$1\r\nx\r\n",
    ),
    (
        r##"return {double=1.5}"##,
        b"$3\r\n1.5\r\n",
    ),
    (
        r##"return {double='x'}"##,
        b"*0\r\n",
    ),
    (
        r##"return {double=3}"##,
        b"$1\r\n3\r\n",
    ),
    (
        r##"return false"##,
        b"$-1\r\n",
    ),
    (
        r##"return true"##,
        b":1\r\n",
    ),
    (
        r##"return nil"##,
        b"$-1\r\n",
    ),
    (
        r##"return {1, false, 3}"##,
        b"*3\r\n:1\r\n$-1\r\n:3\r\n",
    ),
    (
        r##"return {1, true, 3}"##,
        b"*3\r\n:1\r\n:1\r\n:3\r\n",
    ),
    (
        r##"return {err='x'}"##,
        b"-x\r\n",
    ),
    (
        r##"return {ok='fine'}"##,
        b"+fine\r\n",
    ),
    (
        r##"return redis.setresp(4)"##,
        b"-ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.setresp()"##,
        b"-ERR redis.setresp() requires one argument. script: 76da64e28014e7c9ad76db33c3918c53d81a3d7e, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.setresp('3')"##,
        b"$-1\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('exists', 'h')"##,
        b":1\r\n",
    ),
    (
        r##"redis.setresp(3) local ok = redis.call('set', 'q', '1') return type(ok)"##,
        b"$5\r\ntable\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.pcall('incr', 'h')"##,
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('config', 'get', 'maxmemory')"##,
        b"-ERR This Redis command is not allowed from script script: 7b5d8f1197dd31931ecb2bd0144c59434991dd48, on @user_script:1.\r\n",
    ),
];

/// The same, to a RESP3 client (after HELLO 3).
pub const RESP3_CLIENT_CASES: &[(&str, &[u8])] = &[
    (
        r##"redis.setresp(3) local t = redis.call('hgetall', 'h') return {type(t), type(t.map), t.map.a}"##,
        b"*3\r\n$5\r\ntable\r\n$5\r\ntable\r\n$1\r\n1\r\n",
    ),
    (
        r##"redis.setresp(3) local t = redis.call('smembers', 's') return {type(t.set), tostring(t.set.x)}"##,
        b"*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n",
    ),
    (
        r##"redis.setresp(3) local t = redis.call('incrbyfloat', 'n', '0.5') return type(t)"##,
        b"$6\r\nstring\r\n",
    ),
    (
        r##"redis.setresp(3) local t = redis.call('get', 'nokey') return type(t)"##,
        b"$3\r\nnil\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('hgetall', 'h')"##,
        b"%1\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('smembers', 's')"##,
        b"~1\r\n$1\r\nx\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('zscore', 'z', 'm')"##,
        b",1.5\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('zrange', 'z', '0', '-1', 'withscores')"##,
        b"*1\r\n*2\r\n$1\r\nm\r\n,1.5\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('get', 'nokey')"##,
        b"_\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('hello')"##,
        b"-ERR This Redis command is not allowed from script script: 36d945673c244d989a60eea9c0b97ebcb8b639ea, on @user_script:1.\r\n",
    ),
    (
        r##"redis.setresp(3) return {type(redis.call('zscore', 'z', 'm')), redis.call('zscore', 'z', 'm').double}"##,
        b"*2\r\n$5\r\ntable\r\n:1\r\n",
    ),
    (
        r##"redis.setresp(2) return redis.call('hgetall', 'h')"##,
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        r##"redis.setresp(2) return redis.call('zscore', 'z', 'm')"##,
        b"$3\r\n1.5\r\n",
    ),
    (
        r##"return redis.call('hgetall', 'h')"##,
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    ),
    (
        r##"return {map={a=1}}"##,
        b"%1\r\n$1\r\na\r\n:1\r\n",
    ),
    (
        r##"return {map={a={1,2}, b={map={c='d'}}}}"##,
        b"%2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n$1\r\nb\r\n%1\r\n$1\r\nc\r\n$1\r\nd\r\n",
    ),
    (
        r##"return {set={x=true}}"##,
        b"~1\r\n$1\r\nx\r\n",
    ),
    (
        r##"return {double=1.5}"##,
        b",1.5\r\n",
    ),
    (
        r##"return {double='x'}"##,
        b"*0\r\n",
    ),
    (
        r##"return {double=3}"##,
        b",3\r\n",
    ),
    (
        r##"return false"##,
        b"_\r\n",
    ),
    (
        r##"return true"##,
        b":1\r\n",
    ),
    (
        r##"return nil"##,
        b"_\r\n",
    ),
    (
        r##"return {1, false, 3}"##,
        b"*3\r\n:1\r\n_\r\n:3\r\n",
    ),
    (
        r##"return {1, true, 3}"##,
        b"*3\r\n:1\r\n:1\r\n:3\r\n",
    ),
    (
        r##"return {err='x'}"##,
        b"-x\r\n",
    ),
    (
        r##"return {ok='fine'}"##,
        b"+fine\r\n",
    ),
    (
        r##"return redis.setresp(4)"##,
        b"-ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.setresp()"##,
        b"-ERR redis.setresp() requires one argument. script: 76da64e28014e7c9ad76db33c3918c53d81a3d7e, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.setresp('3')"##,
        b"_\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('exists', 'h')"##,
        b":1\r\n",
    ),
    (
        r##"redis.setresp(3) local ok = redis.call('set', 'q', '1') return type(ok)"##,
        b"$5\r\ntable\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.pcall('incr', 'h')"##,
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('config', 'get', 'maxmemory')"##,
        b"-ERR This Redis command is not allowed from script script: 7b5d8f1197dd31931ecb2bd0144c59434991dd48, on @user_script:1.\r\n",
    ),
];
/// Numbers as redis.call passes them and replies hand them back, with
/// z = {a: 1e20, b: 0.1, c: 3, d: -inf}.
pub const NUMBERS_CASES: &[(&str, &[u8])] = &[
    (
        r##"return redis.call('zscore', 'z', 'a')"##,
        b"$5\r\n1e+20\r\n",
    ),
    (
        r##"return redis.call('zscore', 'z', 'b')"##,
        b"$19\r\n0.10000000000000001\r\n",
    ),
    (
        r##"return redis.call('zscore', 'z', 'c')"##,
        b"$1\r\n3\r\n",
    ),
    (
        r##"return redis.call('zscore', 'z', 'd')"##,
        b"$4\r\n-inf\r\n",
    ),
    (
        r##"return redis.call('zrange', 'z', 0, -1, 'withscores')"##,
        b"*8\r\n$1\r\nd\r\n$4\r\n-inf\r\n$1\r\nb\r\n$19\r\n0.10000000000000001\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$5\r\n1e+20\r\n",
    ),
    (
        r##"return redis.call('zincrby', 'z', '1.5', 'c')"##,
        b"$3\r\n4.5\r\n",
    ),
    (
        r##"redis.setresp(3) return redis.call('zscore', 'z', 'a').double"##,
        b":-9223372036854775808\r\n",
    ),
    (
        r##"redis.setresp(3) return tostring(redis.call('zscore', 'z', 'b').double)"##,
        b"$3\r\n0.1\r\n",
    ),
    (
        r##"return redis.call('incrbyfloat', 'f', '1e3')"##,
        b"$4\r\n1000\r\n",
    ),
    (
        r##"return 3.99"##,
        b":3\r\n",
    ),
    (
        r##"return -3.99"##,
        b":-3\r\n",
    ),
    (
        r##"return {1e300}"##,
        b"*1\r\n:-9223372036854775808\r\n",
    ),
    (
        r##"return tostring(1e15)"##,
        b"$5\r\n1e+15\r\n",
    ),
    (
        r##"return redis.call('set', 'k', 1.5)"##,
        b"+OK\r\n",
    ),
    (
        r##"return redis.call('set', 'k', 1e20)"##,
        b"+OK\r\n",
    ),
    (
        r##"return redis.call('get', 'k')"##,
        b"$5\r\n1e+20\r\n",
    ),
    (
        r##"return redis.call('set', 'k', 0.1) and redis.call('get', 'k')"##,
        b"$19\r\n0.10000000000000001\r\n",
    ),
    (
        r##"return redis.call('set', 'k', -0.0) and redis.call('get', 'k')"##,
        b"$2\r\n-0\r\n",
    ),
    (
        r##"return redis.call('set', 'k', 2^53) and redis.call('get', 'k')"##,
        b"$16\r\n9007199254740992\r\n",
    ),
    (
        r##"return redis.call('set', 'k', 1/3) and redis.call('get', 'k')"##,
        b"$19\r\n0.33333333333333331\r\n",
    ),
    (
        r##"return redis.call('set', 'k', 123456789012345678) and redis.call('get', 'k')"##,
        b"$22\r\n1.2345678901234568e+17\r\n",
    ),
];
/// Errors a script raises: error tables (`error({err=…})`) and others.
pub const ERRTABLE_CASES: &[(&str, &[u8])] = &[
    (
        r##"local a = 1 error({err='My Error'})"##,
        b"-My Error script: d0bd059d7eb0da85ffb418a0c8c2525f03f20f2b, on @user_script:1.\r\n",
    ),
    (
        r##"error(redis.error_reply('MY code'))"##,
        b"-MY code script: 85a34237d755a0415a327627af8f47711f44f59d, on @user_script:1.\r\n",
    ),
    (
        r##"local t = setmetatable({}, {__index = function() error({err='meta'}) end}) return t.x"##,
        b"-meta script: b433f4bfb4b2e3b51eea05ded4dfc689e9adcb38, on @user_script:1.\r\n",
    ),
    (
        r##"local function f() error({err='Deep'}) end f()"##,
        b"-Deep script: bc70c75a2774ca90fab2ebf91a54d4d7cf641d8f, on @user_script:1.\r\n",
    ),
    (
        r##"error('plain')"##,
        b"-ERR user_script:1: plain script: 7c69090d716b3b899dd0365cfdda40b6cf8ae98d, on @user_script:1.\r\n",
    ),
    (
        r##"error({err=5})"##,
        b"-5 script: 58cfd935477cdbf9342fa1cc3ec8452b6a3ddc4b, on @user_script:1.\r\n",
    ),
    (
        r##"local x = nil + 1"##,
        b"-ERR user_script:1: attempt to perform arithmetic on a nil value script: cd204846b476dfdb7c087f1a1cef2df50cc9a6e7, on @user_script:1.\r\n",
    ),
    (
        r##"return redis.call('nosuch')"##,
        b"-ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.\r\n",
    ),
];

// Random values and formats (a seeded generator), recorded from Redis.
/// Nested values through cjson and cmsgpack and back.
pub const MIXED_CASES: &[(&str, &[u8])] = &[
    (
        r##"return cjson.encode({{}})"##,
        b"$4\r\n[{}]\r\n",
    ),
    (
        r##"return cmsgpack.pack({{}})"##,
        b"$2\r\n\x91\x90\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode({{}})))"##,
        b"$4\r\n[{}]\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack({{}}))})"##,
        b"$6\r\n[[{}]]\r\n",
    ),
    (
        r##"return cjson.encode(cjson.null)"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cmsgpack.pack(cjson.null)"##,
        b"$1\r\n\xc0\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(cjson.null)))"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(cjson.null))})"##,
        b"$2\r\n{}\r\n",
    ),
    (
        r##"return cjson.encode(cjson.null)"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cmsgpack.pack(cjson.null)"##,
        b"$1\r\n\xc0\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(cjson.null)))"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(cjson.null))})"##,
        b"$2\r\n{}\r\n",
    ),
    (
        r##"return cjson.encode(cjson.null)"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cmsgpack.pack(cjson.null)"##,
        b"$1\r\n\xc0\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(cjson.null)))"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(cjson.null))})"##,
        b"$2\r\n{}\r\n",
    ),
    (
        r##"return cjson.encode(9007199254740992)"##,
        b"$18\r\n9.007199254741e+15\r\n",
    ),
    (
        r##"return cmsgpack.pack(9007199254740992)"##,
        b"$9\r\n\xcf\x00 \x00\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(9007199254740992)))"##,
        b"$18\r\n9.007199254741e+15\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(9007199254740992))})"##,
        b"$20\r\n[9.007199254741e+15]\r\n",
    ),
    (
        r##"return cjson.encode(9007199254740992)"##,
        b"$18\r\n9.007199254741e+15\r\n",
    ),
    (
        r##"return cmsgpack.pack(9007199254740992)"##,
        b"$9\r\n\xcf\x00 \x00\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(9007199254740992)))"##,
        b"$18\r\n9.007199254741e+15\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(9007199254740992))})"##,
        b"$20\r\n[9.007199254741e+15]\r\n",
    ),
    (
        r##"return cjson.encode(cjson.null)"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cmsgpack.pack(cjson.null)"##,
        b"$1\r\n\xc0\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(cjson.null)))"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(cjson.null))})"##,
        b"$2\r\n{}\r\n",
    ),
    (
        r##"return cjson.encode(0.5)"##,
        b"$3\r\n0.5\r\n",
    ),
    (
        r##"return cmsgpack.pack(0.5)"##,
        b"$5\r\n\xca?\x00\x00\x00\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(0.5)))"##,
        b"$3\r\n0.5\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(0.5))})"##,
        b"$5\r\n[0.5]\r\n",
    ),
    (
        r##"return cjson.encode({0.5,{123456.789},'hello'})"##,
        b"$26\r\n[0.5,[123456.789],\"hello\"]\r\n",
    ),
    (
        r##"return cmsgpack.pack({0.5,{123456.789},'hello'})"##,
        b"$22\r\n\x93\xca?\x00\x00\x00\x91\xcb@\xfe$\x0c\x9f\xbev\xc9\xa5hello\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode({0.5,{123456.789},'hello'})))"##,
        b"$26\r\n[0.5,[123456.789],\"hello\"]\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack({0.5,{123456.789},'hello'}))})"##,
        b"$28\r\n[[0.5,[123456.789],\"hello\"]]\r\n",
    ),
    (
        r##"return cjson.encode(cjson.null)"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cmsgpack.pack(cjson.null)"##,
        b"$1\r\n\xc0\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(cjson.null)))"##,
        b"$4\r\nnull\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(cjson.null))})"##,
        b"$2\r\n{}\r\n",
    ),
    (
        r##"return cjson.encode({1,{{['k2']={1.25},['name']={'\\',9007199254740992,'hello',true},['x_y']={['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},['1']={['name']=true,['x_y']='\\',['2']=false,['b']=false,['id']=1}},'hello',{['zz']={3.14159,'\n\t',true,-3.75},['name']=0.5,['b']={'',cjson.null,cjson.null,123456.789},['c']={['1']=-2147483649,['a']=1000000000000000,['name']='',['id']=cjson.null,['zz']=4294967296,['key']=255}}}})"##,
        b"$339\r\n[1,[{\"x_y\":{\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\"1\":{\"name\":true,\"2\":false,\"x_y\":\"\\\\\",\"id\":1,\"b\":false},\"name\":[\"\\\\\",9.007199254741e+15,\"hello\",true],\"k2\":[1.25]},\"hello\",{\"zz\":[3.14159,\"\\n\\t\",true,-3.75],\"c\":{\"1\":-2147483649,\"name\":\"\",\"id\":null,\"key\":255,\"zz\":4294967296,\"a\":1e+15},\"name\":0.5,\"b\":[\"\",null,null,123456.789]}]]\r\n",
    ),
    (
        r##"return cmsgpack.pack({1,{{['k2']={1.25},['name']={'\\',9007199254740992,'hello',true},['x_y']={['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},['1']={['name']=true,['x_y']='\\',['2']=false,['b']=false,['id']=1}},'hello',{['zz']={3.14159,'\n\t',true,-3.75},['name']=0.5,['b']={'',cjson.null,cjson.null,123456.789},['c']={['1']=-2147483649,['a']=1000000000000000,['name']='',['id']=cjson.null,['zz']=4294967296,['key']=255}}}})"##,
        b"$219\r\n\x92\x01\x93\x84\xa3x_y\x81\xa2id\xd9(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xa11\x85\xa4name\xc3\xa12\xc2\xa3x_y\xa1\\\xa2id\x01\xa1b\xc2\xa4name\x94\xa1\\\xcf\x00 \x00\x00\x00\x00\x00\x00\xa5hello\xc3\xa2k2\x91\xca?\xa0\x00\x00\xa5hello\x84\xa2zz\x94\xcb@\x09!\xf9\xf0\x1b\x86n\xa2\n\x09\xc3\xca\xc0p\x00\x00\xa1c\x86\xa11\xd3\xff\xff\xff\xff\x7f\xff\xff\xff\xa4name\xa0\xa2id\xc0\xa3key\xcc\xff\xa2zz\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xa1a\xcf\x00\x03\x8d~\xa4\xc6\x80\x00\xa4name\xca?\x00\x00\x00\xa1b\x94\xa0\xc0\xc0\xcb@\xfe$\x0c\x9f\xbev\xc9\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode({1,{{['k2']={1.25},['name']={'\\',9007199254740992,'hello',true},['x_y']={['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},['1']={['name']=true,['x_y']='\\',['2']=false,['b']=false,['id']=1}},'hello',{['zz']={3.14159,'\n\t',true,-3.75},['name']=0.5,['b']={'',cjson.null,cjson.null,123456.789},['c']={['1']=-2147483649,['a']=1000000000000000,['name']='',['id']=cjson.null,['zz']=4294967296,['key']=255}}}})))"##,
        b"$339\r\n[1,[{\"1\":{\"name\":true,\"2\":false,\"id\":1,\"b\":false,\"x_y\":\"\\\\\"},\"x_y\":{\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\"name\":[\"\\\\\",9.007199254741e+15,\"hello\",true],\"k2\":[1.25]},\"hello\",{\"zz\":[3.14159,\"\\n\\t\",true,-3.75],\"name\":0.5,\"c\":{\"1\":-2147483649,\"name\":\"\",\"id\":null,\"a\":1e+15,\"zz\":4294967296,\"key\":255},\"b\":[\"\",null,null,123456.789]}]]\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack({1,{{['k2']={1.25},['name']={'\\',9007199254740992,'hello',true},['x_y']={['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},['1']={['name']=true,['x_y']='\\',['2']=false,['b']=false,['id']=1}},'hello',{['zz']={3.14159,'\n\t',true,-3.75},['name']=0.5,['b']={'',cjson.null,cjson.null,123456.789},['c']={['1']=-2147483649,['a']=1000000000000000,['name']='',['id']=cjson.null,['zz']=4294967296,['key']=255}}}}))})"##,
        b"$331\r\n[[1,[{\"1\":{\"name\":true,\"2\":false,\"id\":1,\"b\":false,\"x_y\":\"\\\\\"},\"x_y\":{\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\"name\":[\"\\\\\",9.007199254741e+15,\"hello\",true],\"k2\":[1.25]},\"hello\",{\"zz\":[3.14159,\"\\n\\t\",true,-3.75],\"name\":0.5,\"c\":{\"zz\":4294967296,\"key\":255,\"a\":1e+15,\"1\":-2147483649,\"name\":\"\"},\"b\":[\"\",null,null,123456.789]}]]]\r\n",
    ),
    (
        r##"return cjson.encode({{{false,{2147483648,true},{cjson.null}},{{},{['1']=1e-07,['b']=cjson.null,['k1']=cjson.null},{0.1},{['key']=65535,['2']=1e-07,['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',['name']=-524270,['k2']=2.5e-300,['x_y']=cjson.null},{['1']=2.5e-300,['k2']=false,['b']=false,['x_y']=-33}}}})"##,
        b"$236\r\n[[[false,[2147483648,true],[null]],[{},{\"1\":1e-07,\"k1\":null,\"b\":null},[0.1],{\"key\":65535,\"2\":1e-07,\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"x_y\":null,\"name\":-524270,\"k2\":2.5e-300},{\"1\":2.5e-300,\"x_y\":-33,\"b\":false,\"k2\":false}]]]\r\n",
    ),
    (
        r##"return cmsgpack.pack({{{false,{2147483648,true},{cjson.null}},{{},{['1']=1e-07,['b']=cjson.null,['k1']=cjson.null},{0.1},{['key']=65535,['2']=1e-07,['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',['name']=-524270,['k2']=2.5e-300,['x_y']=cjson.null},{['1']=2.5e-300,['k2']=false,['b']=false,['x_y']=-33}}}})"##,
        b"$160\r\n\x91\x92\x93\xc2\x92\xce\x80\x00\x00\x00\xc3\x91\xc0\x95\x90\x83\xa11\xcb>z\xd7\xf2\x9a\xbc\xafH\xa2k1\xc0\xa1b\xc0\x91\xcb?\xb9\x99\x99\x99\x99\x99\x9a\x86\xa3key\xcd\xff\xff\xa12\xcb>z\xd7\xf2\x9a\xbc\xafH\xa2id\xd9(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xa3x_y\xc0\xa4name\xd2\xff\xf8\x00\x12\xa2k2\xcb\x01\xba\xc9\xa7\xb3\xb70/\x84\xa11\xcb\x01\xba\xc9\xa7\xb3\xb70/\xa3x_y\xd0\xdf\xa1b\xc2\xa2k2\xc2\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode({{{false,{2147483648,true},{cjson.null}},{{},{['1']=1e-07,['b']=cjson.null,['k1']=cjson.null},{0.1},{['key']=65535,['2']=1e-07,['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',['name']=-524270,['k2']=2.5e-300,['x_y']=cjson.null},{['1']=2.5e-300,['k2']=false,['b']=false,['x_y']=-33}}}})))"##,
        b"$236\r\n[[[false,[2147483648,true],[null]],[{},{\"k1\":null,\"1\":1e-07,\"b\":null},[0.1],{\"key\":65535,\"2\":1e-07,\"x_y\":null,\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"name\":-524270,\"k2\":2.5e-300},{\"x_y\":-33,\"k2\":false,\"1\":2.5e-300,\"b\":false}]]]\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack({{{false,{2147483648,true},{cjson.null}},{{},{['1']=1e-07,['b']=cjson.null,['k1']=cjson.null},{0.1},{['key']=65535,['2']=1e-07,['id']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',['name']=-524270,['k2']=2.5e-300,['x_y']=cjson.null},{['1']=2.5e-300,['k2']=false,['b']=false,['x_y']=-33}}}}))})"##,
        b"$204\r\n[[[[false,[2147483648,true],{}],[{},{\"1\":1e-07},[0.1],{\"key\":65535,\"2\":1e-07,\"id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"name\":-524270,\"k2\":2.5e-300},{\"x_y\":-33,\"k2\":false,\"1\":2.5e-300,\"b\":false}]]]]\r\n",
    ),
    (
        r##"return cjson.encode(0.5)"##,
        b"$3\r\n0.5\r\n",
    ),
    (
        r##"return cmsgpack.pack(0.5)"##,
        b"$5\r\n\xca?\x00\x00\x00\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(0.5)))"##,
        b"$3\r\n0.5\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(0.5))})"##,
        b"$5\r\n[0.5]\r\n",
    ),
    (
        r##"return cjson.encode(true)"##,
        b"$4\r\ntrue\r\n",
    ),
    (
        r##"return cmsgpack.pack(true)"##,
        b"$1\r\n\xc3\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode(true)))"##,
        b"$4\r\ntrue\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(true))})"##,
        b"$6\r\n[true]\r\n",
    ),
    (
        r##"return cjson.encode({{['k2']=128,['c']={0.5,'with space',{['k1']=4294967296,['id']=cjson.null,['zz']=cjson.null},{123456.789,true,-3.75,cjson.null},{['a']=1,['k2']='',['id']=cjson.null,['x_y']=-1,['name']=cjson.null},{['id']=123456.789,['key']='with space',['k1']=3.14159,['name']=false,['2']=3.14159}},['id']='a',['x_y']={['2']={['k1']=1.25,['c']=true},['1']={['c']=false,['zz']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}},['1']='',['a']={{},{cjson.null,256,65535,1e+100},{['1']=cjson.null,['k1']='a',['zz']=3.14159,['c']=''}}},{cjson.null,{['k1']={['a']='hello',['k2']=1.25,['id']='',['zz']='q\"uote'}},{cjson.null},{['k2']=255,['a']={9007199254740992},['k1']={['zz']=3.14159,['id']=128,['k1']='\n\t',['key']=-2147483649,['1']='with space'}},{['name']='\\'},'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},{['k2']={},['key']={},['a']={{['id']=-2147483649,['a']=true},1.25,{3.14159,true,cjson.null,9007199254740992},{['c']=4294967296,['id']=false,['1']=256,['a']=-1,['key']=cjson.null}},['k1']={['1']={'a',0.1,false,65536,cjson.null}},['1']={1e-07}},'hello'})"##,
        b"$856\r\n[{\"1\":\"\",\"c\":[0.5,\"with space\",{\"k1\":4294967296,\"zz\":null,\"id\":null},[123456.789,true,-3.75,null],{\"a\":1,\"name\":null,\"id\":null,\"x_y\":-1,\"k2\":\"\"},{\"key\":\"with space\",\"2\":3.14159,\"id\":123456.789,\"name\":false,\"k1\":3.14159}],\"id\":\"a\",\"a\":[{},[null,256,65535,1e+100],{\"1\":null,\"zz\":3.14159,\"c\":\"\",\"k1\":\"a\"}],\"x_y\":{\"1\":{\"c\":false,\"zz\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\"2\":{\"k1\":1.25,\"c\":true}},\"k2\":128},[null,{\"k1\":{\"a\":\"hello\",\"zz\":\"q\\\"uote\",\"id\":\"\",\"k2\":1.25}},[null],{\"a\":[9.007199254741e+15],\"k1\":{\"zz\":3.14159,\"key\":-2147483649,\"id\":128,\"1\":\"with space\",\"k1\":\"\\n\\t\"},\"k2\":255},{\"name\":\"\\\\\"},\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"],{\"a\":[{\"id\":-2147483649,\"a\":true},1.25,[3.14159,true,null,9.007199254741e+15],{\"1\":256,\"c\":4294967296,\"id\":false,\"key\":null,\"a\":-1}],\"key\":{},\"k1\":{\"1\":[\"a\",0.1,false,65536,null]},\"1\":[1e-07],\"k2\":{}},\"hello\"]\r\n",
    ),
    (
        r##"return cmsgpack.pack({{['k2']=128,['c']={0.5,'with space',{['k1']=4294967296,['id']=cjson.null,['zz']=cjson.null},{123456.789,true,-3.75,cjson.null},{['a']=1,['k2']='',['id']=cjson.null,['x_y']=-1,['name']=cjson.null},{['id']=123456.789,['key']='with space',['k1']=3.14159,['name']=false,['2']=3.14159}},['id']='a',['x_y']={['2']={['k1']=1.25,['c']=true},['1']={['c']=false,['zz']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}},['1']='',['a']={{},{cjson.null,256,65535,1e+100},{['1']=cjson.null,['k1']='a',['zz']=3.14159,['c']=''}}},{cjson.null,{['k1']={['a']='hello',['k2']=1.25,['id']='',['zz']='q\"uote'}},{cjson.null},{['k2']=255,['a']={9007199254740992},['k1']={['zz']=3.14159,['id']=128,['k1']='\n\t',['key']=-2147483649,['1']='with space'}},{['name']='\\'},'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},{['k2']={},['key']={},['a']={{['id']=-2147483649,['a']=true},1.25,{3.14159,true,cjson.null,9007199254740992},{['c']=4294967296,['id']=false,['1']=256,['a']=-1,['key']=cjson.null}},['k1']={['1']={'a',0.1,false,65536,cjson.null}},['1']={1e-07}},'hello'})"##,
        b"$554\r\n\x94\x86\xa11\xa0\xa1c\x96\xca?\x00\x00\x00\xaawith space\x83\xa2k1\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xa2zz\xc0\xa2id\xc0\x94\xcb@\xfe$\x0c\x9f\xbev\xc9\xc3\xca\xc0p\x00\x00\xc0\x85\xa1a\x01\xa4name\xc0\xa2id\xc0\xa3x_y\xff\xa2k2\xa0\x85\xa3key\xaawith space\xa12\xcb@\x09!\xf9\xf0\x1b\x86n\xa2id\xcb@\xfe$\x0c\x9f\xbev\xc9\xa4name\xc2\xa2k1\xcb@\x09!\xf9\xf0\x1b\x86n\xa2id\xa1a\xa1a\x93\x90\x94\xc0\xcd\x01\x00\xcd\xff\xff\xcbT\xb2I\xad%\x94\xc3}\x84\xa11\xc0\xa2zz\xcb@\x09!\xf9\xf0\x1b\x86n\xa1c\xa0\xa2k1\xa1a\xa3x_y\x82\xa11\x82\xa1c\xc2\xa2zz\xd9(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xa12\x82\xa2k1\xca?\xa0\x00\x00\xa1c\xc3\xa2k2\xcc\x80\x96\xc0\x81\xa2k1\x84\xa1a\xa5hello\xa2zz\xa6q\"uote\xa2id\xa0\xa2k2\xca?\xa0\x00\x00\x91\xc0\x83\xa1a\x91\xcf\x00 \x00\x00\x00\x00\x00\x00\xa2k1\x85\xa2zz\xcb@\x09!\xf9\xf0\x1b\x86n\xa3key\xd3\xff\xff\xff\xff\x7f\xff\xff\xff\xa2id\xcc\x80\xa11\xaawith space\xa2k1\xa2\n\x09\xa2k2\xcc\xff\x81\xa4name\xa1\\\xd9(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x85\xa1a\x94\x82\xa2id\xd3\xff\xff\xff\xff\x7f\xff\xff\xff\xa1a\xc3\xca?\xa0\x00\x00\x94\xcb@\x09!\xf9\xf0\x1b\x86n\xc3\xc0\xcf\x00 \x00\x00\x00\x00\x00\x00\x85\xa11\xcd\x01\x00\xa1c\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xa2id\xc2\xa3key\xc0\xa1a\xff\xa3key\x90\xa2k1\x81\xa11\x95\xa1a\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xc2\xce\x00\x01\x00\x00\xc0\xa11\x91\xcb>z\xd7\xf2\x9a\xbc\xafH\xa2k2\x90\xa5hello\r\n",
    ),
    (
        r##"return cjson.encode(cjson.decode(cjson.encode({{['k2']=128,['c']={0.5,'with space',{['k1']=4294967296,['id']=cjson.null,['zz']=cjson.null},{123456.789,true,-3.75,cjson.null},{['a']=1,['k2']='',['id']=cjson.null,['x_y']=-1,['name']=cjson.null},{['id']=123456.789,['key']='with space',['k1']=3.14159,['name']=false,['2']=3.14159}},['id']='a',['x_y']={['2']={['k1']=1.25,['c']=true},['1']={['c']=false,['zz']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}},['1']='',['a']={{},{cjson.null,256,65535,1e+100},{['1']=cjson.null,['k1']='a',['zz']=3.14159,['c']=''}}},{cjson.null,{['k1']={['a']='hello',['k2']=1.25,['id']='',['zz']='q\"uote'}},{cjson.null},{['k2']=255,['a']={9007199254740992},['k1']={['zz']=3.14159,['id']=128,['k1']='\n\t',['key']=-2147483649,['1']='with space'}},{['name']='\\'},'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},{['k2']={},['key']={},['a']={{['id']=-2147483649,['a']=true},1.25,{3.14159,true,cjson.null,9007199254740992},{['c']=4294967296,['id']=false,['1']=256,['a']=-1,['key']=cjson.null}},['k1']={['1']={'a',0.1,false,65536,cjson.null}},['1']={1e-07}},'hello'})))"##,
        b"$856\r\n[{\"a\":[{},[null,256,65535,1e+100],{\"zz\":3.14159,\"k1\":\"a\",\"c\":\"\",\"1\":null}],\"c\":[0.5,\"with space\",{\"zz\":null,\"id\":null,\"k1\":4294967296},[123456.789,true,-3.75,null],{\"a\":1,\"name\":null,\"id\":null,\"x_y\":-1,\"k2\":\"\"},{\"key\":\"with space\",\"2\":3.14159,\"id\":123456.789,\"k1\":3.14159,\"name\":false}],\"id\":\"a\",\"1\":\"\",\"x_y\":{\"1\":{\"c\":false,\"zz\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\"2\":{\"k1\":1.25,\"c\":true}},\"k2\":128},[null,{\"k1\":{\"zz\":\"q\\\"uote\",\"a\":\"hello\",\"id\":\"\",\"k2\":1.25}},[null],{\"k1\":{\"1\":\"with space\",\"key\":-2147483649,\"id\":128,\"k1\":\"\\n\\t\",\"zz\":3.14159},\"a\":[9.007199254741e+15],\"k2\":255},{\"name\":\"\\\\\"},\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"],{\"1\":[1e-07],\"key\":{},\"k1\":{\"1\":[\"a\",0.1,false,65536,null]},\"a\":[{\"id\":-2147483649,\"a\":true},1.25,[3.14159,true,null,9.007199254741e+15],{\"1\":256,\"c\":4294967296,\"id\":false,\"a\":-1,\"key\":null}],\"k2\":{}},\"hello\"]\r\n",
    ),
    (
        r##"return cjson.encode({cmsgpack.unpack(cmsgpack.pack({{['k2']=128,['c']={0.5,'with space',{['k1']=4294967296,['id']=cjson.null,['zz']=cjson.null},{123456.789,true,-3.75,cjson.null},{['a']=1,['k2']='',['id']=cjson.null,['x_y']=-1,['name']=cjson.null},{['id']=123456.789,['key']='with space',['k1']=3.14159,['name']=false,['2']=3.14159}},['id']='a',['x_y']={['2']={['k1']=1.25,['c']=true},['1']={['c']=false,['zz']='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}},['1']='',['a']={{},{cjson.null,256,65535,1e+100},{['1']=cjson.null,['k1']='a',['zz']=3.14159,['c']=''}}},{cjson.null,{['k1']={['a']='hello',['k2']=1.25,['id']='',['zz']='q\"uote'}},{cjson.null},{['k2']=255,['a']={9007199254740992},['k1']={['zz']=3.14159,['id']=128,['k1']='\n\t',['key']=-2147483649,['1']='with space'}},{['name']='\\'},'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'},{['k2']={},['key']={},['a']={{['id']=-2147483649,['a']=true},1.25,{3.14159,true,cjson.null,9007199254740992},{['c']=4294967296,['id']=false,['1']=256,['a']=-1,['key']=cjson.null}},['k1']={['1']={'a',0.1,false,65536,cjson.null}},['1']={1e-07}},'hello'}))})"##,
        b"$782\r\n[[{\"a\":[{},[null,256,65535,1e+100],{\"zz\":3.14159,\"c\":\"\",\"k1\":\"a\"}],\"c\":[0.5,\"with space\",{\"k1\":4294967296},[123456.789,true,-3.75],{\"x_y\":-1,\"a\":1,\"k2\":\"\"},{\"key\":\"with space\",\"2\":3.14159,\"id\":123456.789,\"k1\":3.14159,\"name\":false}],\"id\":\"a\",\"1\":\"\",\"x_y\":{\"1\":{\"c\":false,\"zz\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\"2\":{\"k1\":1.25,\"c\":true}},\"k2\":128},[null,{\"k1\":{\"zz\":\"q\\\"uote\",\"a\":\"hello\",\"id\":\"\",\"k2\":1.25}},{},{\"k1\":{\"1\":\"with space\",\"key\":-2147483649,\"id\":128,\"k1\":\"\\n\\t\",\"zz\":3.14159},\"a\":[9.007199254741e+15],\"k2\":255},{\"name\":\"\\\\\"},\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"],{\"1\":[1e-07],\"key\":{},\"k1\":{\"1\":[\"a\",0.1,false,65536]},\"a\":[{\"id\":-2147483649,\"a\":true},1.25,[3.14159,true,null,9.007199254741e+15],{\"id\":false,\"a\":-1,\"c\":4294967296,\"1\":256}],\"k2\":{}},\"hello\"]]\r\n",
    ),
];

/// struct formats with alignment, byte order and counts.
pub const STRUCT_MIXED_CASES: &[(&str, &[u8])] = &[
    (
        r##"return struct.pack('<!I3f Li1',-1,-7,65535,1)"##,
        b"$25\r\n\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00\xe0\xc0\x00\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00\x01\r\n",
    ),
    (
        r##"return {struct.unpack('<!I3f Li1', struct.pack('<!I3f Li1',-1,-7,65535,1))}"##,
        b"*5\r\n:16777215\r\n:-7\r\n:65535\r\n:1\r\n:26\r\n",
    ),
    (
        r##"return struct.size('<!I3f Li1')"##,
        b":25\r\n",
    ),
    (
        r##"return struct.pack('c3 I3bBi','abcdef',2147483647,0,1099511627776,123456789)"##,
        b"$12\r\nabc\xff\xff\xff\x00\x00\x15\xcd[\x07\r\n",
    ),
    (
        r##"return {struct.unpack('c3 I3bBi', struct.pack('c3 I3bBi','abcdef',2147483647,0,1099511627776,123456789))}"##,
        b"*6\r\n$3\r\nabc\r\n:16777215\r\n:0\r\n:0\r\n:123456789\r\n:13\r\n",
    ),
    (
        r##"return struct.size('c3 I3bBi')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('!4I3i bs ',-32768,65535,65535,'str')"##,
        b"$17\r\n\x00\x00\x00\x80\xff\x00\x00\x00\xff\xff\x00\x00\xffstr\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!4I3i bs ', struct.pack('!4I3i bs ',-32768,65535,65535,'str'))}"##,
        b"*5\r\n:16744448\r\n:65535\r\n:-1\r\n$3\r\nstr\r\n:18\r\n",
    ),
    (
        r##"return struct.size('!4I3i bs ')"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: b03865e168c21fd4985a8e1409a86fee6e08ae8a, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('<I i hH ',123456789,0,300,300)"##,
        b"$12\r\n\x15\xcd[\x07\x00\x00\x00\x00,\x01,\x01\r\n",
    ),
    (
        r##"return {struct.unpack('<I i hH ', struct.pack('<I i hH ',123456789,0,300,300))}"##,
        b"*5\r\n:123456789\r\n:0\r\n:300\r\n:300\r\n:13\r\n",
    ),
    (
        r##"return struct.size('<I i hH ')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('b',127)"##,
        b"$1\r\n\x7f\r\n",
    ),
    (
        r##"return {struct.unpack('b', struct.pack('b',127))}"##,
        b"*2\r\n:127\r\n:2\r\n",
    ),
    (
        r##"return struct.size('b')"##,
        b":1\r\n",
    ),
    (
        r##"return struct.pack('<!i5 ',300)"##,
        b"$9\r\n\x00\x00\x00\x00,\x01\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<!i5 ', struct.pack('<!i5 ',300))}"##,
        b"*2\r\n:300\r\n:10\r\n",
    ),
    (
        r##"return struct.size('<!i5 ')"##,
        b":9\r\n",
    ),
    (
        r##"return struct.pack('!I ',1)"##,
        b"$4\r\n\x01\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!I ', struct.pack('!I ',1))}"##,
        b"*2\r\n:1\r\n:5\r\n",
    ),
    (
        r##"return struct.size('!I ')"##,
        b":4\r\n",
    ),
    (
        r##"return struct.pack('!4b HH',123456789,127,0)"##,
        b"$6\r\n\x15\x00\x7f\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!4b HH', struct.pack('!4b HH',123456789,127,0))}"##,
        b"*4\r\n:21\r\n:127\r\n:0\r\n:7\r\n",
    ),
    (
        r##"return struct.size('!4b HH')"##,
        b":6\r\n",
    ),
    (
        r##"return struct.pack('<!Lfi8 i5 ',65535,-0.25,1,127)"##,
        b"$33\r\n\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x80\xbe\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<!Lfi8 i5 ', struct.pack('<!Lfi8 i5 ',65535,-0.25,1,127))}"##,
        b"*5\r\n:65535\r\n:0\r\n:1\r\n:127\r\n:34\r\n",
    ),
    (
        r##"return struct.size('<!Lfi8 i5 ')"##,
        b":33\r\n",
    ),
    (
        r##"return struct.pack('!2x ')"##,
        b"$1\r\n\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!2x ', struct.pack('!2x '))}"##,
        b"*1\r\n:2\r\n",
    ),
    (
        r##"return struct.size('!2x ')"##,
        b":1\r\n",
    ),
    (
        r##"return struct.pack('!L ',-987654321)"##,
        b"$8\r\nO\x97!\xc5\xff\xff\xff\xff\r\n",
    ),
    (
        r##"return {struct.unpack('!L ', struct.pack('!L ',-987654321))}"##,
        b"*2\r\n:-9223372036854775808\r\n:9\r\n",
    ),
    (
        r##"return struct.size('!L ')"##,
        b":8\r\n",
    ),
    (
        r##"return struct.pack('<BI3 c3 i1 h',127,0,'abcdef',1,127)"##,
        b"$10\r\n\x7f\x00\x00\x00abc\x01\x7f\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<BI3 c3 i1 h', struct.pack('<BI3 c3 i1 h',127,0,'abcdef',1,127))}"##,
        b"*6\r\n:127\r\n:0\r\n$3\r\nabc\r\n:1\r\n:127\r\n:11\r\n",
    ),
    (
        r##"return struct.size('<BI3 c3 i1 h')"##,
        b":10\r\n",
    ),
    (
        r##"return struct.pack('!b c3 l xi5',255,'abcdef',-987654321,-2147483648)"##,
        b"$26\r\n\xffabc\x00\x00\x00\x00O\x97!\xc5\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\r\n",
    ),
    (
        r##"return {struct.unpack('!b c3 l xi5', struct.pack('!b c3 l xi5',255,'abcdef',-987654321,-2147483648))}"##,
        b"*5\r\n:-1\r\n$3\r\nabc\r\n:-987654321\r\n:-2147483648\r\n:27\r\n",
    ),
    (
        r##"return struct.size('!b c3 l xi5')"##,
        b":26\r\n",
    ),
    (
        r##"return struct.pack('!2iT',4294967299,4294967299)"##,
        b"$12\r\n\x03\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!2iT', struct.pack('!2iT',4294967299,4294967299))}"##,
        b"*3\r\n:3\r\n:4294967299\r\n:13\r\n",
    ),
    (
        r##"return struct.size('!2iT')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('!i5 h Hf i5 ',2147483647,0,0,-0.25,300)"##,
        b"$25\r\n\x00\x00\x00\x00\xff\xff\xff\x7f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xbe,\x01\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!i5 h Hf i5 ', struct.pack('!i5 h Hf i5 ',2147483647,0,0,-0.25,300))}"##,
        b"*6\r\n:2147483647\r\n:0\r\n:0\r\n:0\r\n:300\r\n:26\r\n",
    ),
    (
        r##"return struct.size('!i5 h Hf i5 ')"##,
        b":25\r\n",
    ),
    (
        r##"return struct.pack('<!i1hI7Tb',1099511627776,127,-128,4294967299,-128)"##,
        b"$25\r\n\x00\x00\x7f\x00\x00\x00\x80\xff\xff\xff\xff\xff\xff\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x80\r\n",
    ),
    (
        r##"return {struct.unpack('<!i1hI7Tb', struct.pack('<!i1hI7Tb',1099511627776,127,-128,4294967299,-128))}"##,
        b"*6\r\n:0\r\n:127\r\n:72057594037927808\r\n:4294967299\r\n:-128\r\n:26\r\n",
    ),
    (
        r##"return struct.size('<!i1hI7Tb')"##,
        b":25\r\n",
    ),
    (
        r##"return struct.pack('<!iL fi3',0,255,1.5,1099511627776)"##,
        b"$25\r\n\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0?\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<!iL fi3', struct.pack('<!iL fi3',0,255,1.5,1099511627776))}"##,
        b"*5\r\n:0\r\n:255\r\n:1\r\n:0\r\n:26\r\n",
    ),
    (
        r##"return struct.size('<!iL fi3')"##,
        b":25\r\n",
    ),
    (
        r##"return struct.pack('!4fBi3 b',-7,65535,0,65535)"##,
        b"$11\r\n\x00\x00\xe0\xc0\xff\x00\x00\x00\x00\x00\xff\r\n",
    ),
    (
        r##"return {struct.unpack('!4fBi3 b', struct.pack('!4fBi3 b',-7,65535,0,65535))}"##,
        b"*5\r\n:-7\r\n:255\r\n:0\r\n:-1\r\n:12\r\n",
    ),
    (
        r##"return struct.size('!4fBi3 b')"##,
        b":11\r\n",
    ),
    (
        r##"return struct.pack('!2i2',1)"##,
        b"$2\r\n\x01\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!2i2', struct.pack('!2i2',1))}"##,
        b"*2\r\n:1\r\n:3\r\n",
    ),
    (
        r##"return struct.size('!2i2')"##,
        b":2\r\n",
    ),
    (
        r##"return struct.pack('<!d ',1.5)"##,
        b"$8\r\n\x00\x00\x00\x00\x00\x00\xf8?\r\n",
    ),
    (
        r##"return {struct.unpack('<!d ', struct.pack('<!d ',1.5))}"##,
        b"*2\r\n:1\r\n:9\r\n",
    ),
    (
        r##"return struct.size('<!d ')"##,
        b":8\r\n",
    ),
    (
        r##"return struct.pack('!4i3I7',-2147483648,-987654321)"##,
        b"$15\r\n\x00\x00\x00\x00\x00\x00\x00\x00O\x97!\xc5\xff\xff\xff\r\n",
    ),
    (
        r##"return {struct.unpack('!4i3I7', struct.pack('!4i3I7',-2147483648,-987654321))}"##,
        b"*3\r\n:0\r\n:72057593050273616\r\n:16\r\n",
    ),
    (
        r##"return struct.size('!4i3I7')"##,
        b":15\r\n",
    ),
    (
        r##"return struct.pack('I7i5 bh',2147483647,2147483647,1,-128)"##,
        b"$15\r\n\xff\xff\xff\x7f\x00\x00\x00\xff\xff\xff\x7f\x00\x01\x80\xff\r\n",
    ),
    (
        r##"return {struct.unpack('I7i5 bh', struct.pack('I7i5 bh',2147483647,2147483647,1,-128))}"##,
        b"*5\r\n:2147483647\r\n:2147483647\r\n:1\r\n:-128\r\n:16\r\n",
    ),
    (
        r##"return struct.size('I7i5 bh')"##,
        b":15\r\n",
    ),
    (
        r##"return struct.pack('!4i5 I3fc3',65535,-32768,3.14159,'abcdef')"##,
        b"$19\r\n\xff\xff\x00\x00\x00\x00\x00\x00\x80\xff\x00\x00\xd0\x0fI@abc\r\n",
    ),
    (
        r##"return {struct.unpack('!4i5 I3fc3', struct.pack('!4i5 I3fc3',65535,-32768,3.14159,'abcdef'))}"##,
        b"*5\r\n:65535\r\n:16744448\r\n:3\r\n$3\r\nabc\r\n:20\r\n",
    ),
    (
        r##"return struct.size('!4i5 I3fc3')"##,
        b":19\r\n",
    ),
    (
        r##"return struct.pack('ic3 Ii1',65535,'abcdef',255,-2147483648)"##,
        b"$12\r\n\xff\xff\x00\x00abc\xff\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('ic3 Ii1', struct.pack('ic3 Ii1',65535,'abcdef',255,-2147483648))}"##,
        b"*5\r\n:65535\r\n$3\r\nabc\r\n:255\r\n:0\r\n:13\r\n",
    ),
    (
        r##"return struct.size('ic3 Ii1')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('!fI3 i Ii8',3.14159,1099511627776,300,-2147483648,1099511627776)"##,
        b"$32\r\n\xd0\x0fI@\x00\x00\x00\x00\x00\x00\x00\x00,\x01\x00\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!fI3 i Ii8', struct.pack('!fI3 i Ii8',3.14159,1099511627776,300,-2147483648,1099511627776))}"##,
        b"*6\r\n:3\r\n:0\r\n:300\r\n:2147483648\r\n:1099511627776\r\n:33\r\n",
    ),
    (
        r##"return struct.size('!fI3 i Ii8')"##,
        b":32\r\n",
    ),
    (
        r##"return struct.pack('>!8i l',127,65535)"##,
        b"$16\r\n\x00\x00\x00\x7f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\r\n",
    ),
    (
        r##"return {struct.unpack('>!8i l', struct.pack('>!8i l',127,65535))}"##,
        b"*3\r\n:127\r\n:65535\r\n:17\r\n",
    ),
    (
        r##"return struct.size('>!8i l')"##,
        b":16\r\n",
    ),
    (
        r##"return struct.pack('h LI7 ',-987654321,65535,1099511627776)"##,
        b"$17\r\nO\x97\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\r\n",
    ),
    (
        r##"return {struct.unpack('h LI7 ', struct.pack('h LI7 ',-987654321,65535,1099511627776))}"##,
        b"*4\r\n:-26801\r\n:65535\r\n:1099511627776\r\n:18\r\n",
    ),
    (
        r##"return struct.size('h LI7 ')"##,
        b":17\r\n",
    ),
    (
        r##"return struct.pack('>!8i5 i2 ',-2147483648,255)"##,
        b"$12\r\n\x00\x00\x00\x00\xff\x80\x00\x00\x00\x00\x00\xff\r\n",
    ),
    (
        r##"return {struct.unpack('>!8i5 i2 ', struct.pack('>!8i5 i2 ',-2147483648,255))}"##,
        b"*3\r\n:-2147483648\r\n:255\r\n:13\r\n",
    ),
    (
        r##"return struct.size('>!8i5 i2 ')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('I',-2147483648)"##,
        b"$4\r\n\x00\x00\x00\x80\r\n",
    ),
    (
        r##"return {struct.unpack('I', struct.pack('I',-2147483648))}"##,
        b"*2\r\n:2147483648\r\n:5\r\n",
    ),
    (
        r##"return struct.size('I')"##,
        b":4\r\n",
    ),
    (
        r##"return struct.pack('!4i1l T',-2147483648,65535,123456789)"##,
        b"$20\r\n\x00\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00\x15\xcd[\x07\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!4i1l T', struct.pack('!4i1l T',-2147483648,65535,123456789))}"##,
        b"*4\r\n:0\r\n:65535\r\n:123456789\r\n:21\r\n",
    ),
    (
        r##"return struct.size('!4i1l T')"##,
        b":20\r\n",
    ),
    (
        r##"return struct.pack('!lH s ',-2147483648,1,'str')"##,
        b"$14\r\n\x00\x00\x00\x80\xff\xff\xff\xff\x01\x00str\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!lH s ', struct.pack('!lH s ',-2147483648,1,'str'))}"##,
        b"*4\r\n:-2147483648\r\n:1\r\n$3\r\nstr\r\n:15\r\n",
    ),
    (
        r##"return struct.size('!lH s ')"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: 10216d8bab61ddb316c18a9225f188800853c76d, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('!T ',-128)"##,
        b"$8\r\n\x80\xff\xff\xff\xff\xff\xff\xff\r\n",
    ),
    (
        r##"return {struct.unpack('!T ', struct.pack('!T ',-128))}"##,
        b"*2\r\n:-9223372036854775808\r\n:9\r\n",
    ),
    (
        r##"return struct.size('!T ')"##,
        b":8\r\n",
    ),
    (
        r##"return struct.pack('I7i ',-1,123456789)"##,
        b"$11\r\n\xff\xff\xff\xff\xff\xff\xff\x15\xcd[\x07\r\n",
    ),
    (
        r##"return {struct.unpack('I7i ', struct.pack('I7i ',-1,123456789))}"##,
        b"*3\r\n:72057594037927936\r\n:123456789\r\n:12\r\n",
    ),
    (
        r##"return struct.size('I7i ')"##,
        b":11\r\n",
    ),
    (
        r##"return struct.pack('>i5i8 I3 ',1,-1,127)"##,
        b"$16\r\n\x00\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x7f\r\n",
    ),
    (
        r##"return {struct.unpack('>i5i8 I3 ', struct.pack('>i5i8 I3 ',1,-1,127))}"##,
        b"*4\r\n:1\r\n:-1\r\n:127\r\n:17\r\n",
    ),
    (
        r##"return struct.size('>i5i8 I3 ')"##,
        b":16\r\n",
    ),
    (
        r##"return struct.pack('>!8d ',1e10)"##,
        b"$8\r\nB\x02\xa0_ \x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('>!8d ', struct.pack('>!8d ',1e10))}"##,
        b"*2\r\n:10000000000\r\n:9\r\n",
    ),
    (
        r##"return struct.size('>!8d ')"##,
        b":8\r\n",
    ),
    (
        r##"return struct.pack('!Hi i1 ',127,1,-128)"##,
        b"$9\r\n\x7f\x00\x00\x00\x01\x00\x00\x00\x80\r\n",
    ),
    (
        r##"return {struct.unpack('!Hi i1 ', struct.pack('!Hi i1 ',127,1,-128))}"##,
        b"*4\r\n:127\r\n:1\r\n:-128\r\n:10\r\n",
    ),
    (
        r##"return struct.size('!Hi i1 ')"##,
        b":9\r\n",
    ),
    (
        r##"return struct.pack('!4f',1.5)"##,
        b"$4\r\n\x00\x00\xc0?\r\n",
    ),
    (
        r##"return {struct.unpack('!4f', struct.pack('!4f',1.5))}"##,
        b"*2\r\n:1\r\n:5\r\n",
    ),
    (
        r##"return struct.size('!4f')"##,
        b":4\r\n",
    ),
    (
        r##"return struct.pack('!4d I7h B',3.14159,127,123456789,-32768)"##,
        b"$19\r\nn\x86\x1b\xf0\xf9!\x09@\x7f\x00\x00\x00\x00\x00\x00\x00\x15\xcd\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!4d I7h B', struct.pack('!4d I7h B',3.14159,127,123456789,-32768))}"##,
        b"*5\r\n:3\r\n:127\r\n:-13035\r\n:0\r\n:20\r\n",
    ),
    (
        r##"return struct.size('!4d I7h B')"##,
        b":19\r\n",
    ),
    (
        r##"return struct.pack('>I7f x',-32768,1e10)"##,
        b"$12\r\n\xff\xff\xff\xff\xff\x80\x00P\x15\x02\xf9\x00\r\n",
    ),
    (
        r##"return {struct.unpack('>I7f x', struct.pack('>I7f x',-32768,1e10))}"##,
        b"*3\r\n:72057594037895168\r\n:10000000000\r\n:13\r\n",
    ),
    (
        r##"return struct.size('>I7f x')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('<!f s',-7,'str')"##,
        b"$8\r\n\x00\x00\xe0\xc0str\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<!f s', struct.pack('<!f s',-7,'str'))}"##,
        b"*3\r\n:-7\r\n$3\r\nstr\r\n:9\r\n",
    ),
    (
        r##"return struct.size('<!f s')"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: 66ca056c1465a9b25a6e18507ad74872cc8e2e6f, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('!2i1 c3i1f I7',-987654321,'abcdef',-32768,-7,300)"##,
        b"$17\r\nOabc\x00\x00\x00\x00\xe0\xc0,\x01\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!2i1 c3i1f I7', struct.pack('!2i1 c3i1f I7',-987654321,'abcdef',-32768,-7,300))}"##,
        b"*6\r\n:79\r\n$3\r\nabc\r\n:0\r\n:-7\r\n:300\r\n:18\r\n",
    ),
    (
        r##"return struct.size('!2i1 c3i1f I7')"##,
        b":17\r\n",
    ),
    (
        r##"return struct.pack('<fi5B xI7',-7,-32768,-32768,4294967299)"##,
        b"$18\r\n\x00\x00\xe0\xc0\x00\x80\xff\xff\xff\x00\x00\x03\x00\x00\x00\x01\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<fi5B xI7', struct.pack('<fi5B xI7',-7,-32768,-32768,4294967299))}"##,
        b"*5\r\n:-7\r\n:-32768\r\n:0\r\n:4294967299\r\n:19\r\n",
    ),
    (
        r##"return struct.size('<fi5B xI7')"##,
        b":18\r\n",
    ),
    (
        r##"return struct.pack('<d i5 ',1e10,127)"##,
        b"$13\r\n\x00\x00\x00 _\xa0\x02B\x7f\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('<d i5 ', struct.pack('<d i5 ',1e10,127))}"##,
        b"*3\r\n:10000000000\r\n:127\r\n:14\r\n",
    ),
    (
        r##"return struct.size('<d i5 ')"##,
        b":13\r\n",
    ),
    (
        r##"return struct.pack('<!l I7 T b ',300,1,2147483647,-1)"##,
        b"$33\r\n,\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x7f\x00\x00\x00\x00\xff\r\n",
    ),
    (
        r##"return {struct.unpack('<!l I7 T b ', struct.pack('<!l I7 T b ',300,1,2147483647,-1))}"##,
        b"*5\r\n:300\r\n:1\r\n:2147483647\r\n:-1\r\n:34\r\n",
    ),
    (
        r##"return struct.size('<!l I7 T b ')"##,
        b":33\r\n",
    ),
    (
        r##"return struct.pack('T',127)"##,
        b"$8\r\n\x7f\x00\x00\x00\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('T', struct.pack('T',127))}"##,
        b"*2\r\n:127\r\n:9\r\n",
    ),
    (
        r##"return struct.size('T')"##,
        b":8\r\n",
    ),
    (
        r##"return struct.pack('!2i2 ',127)"##,
        b"$2\r\n\x7f\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!2i2 ', struct.pack('!2i2 ',127))}"##,
        b"*2\r\n:127\r\n:3\r\n",
    ),
    (
        r##"return struct.size('!2i2 ')"##,
        b":2\r\n",
    ),
    (
        r##"return struct.pack('<!H xf f i5 ',4294967299,-0.25,1.5,-987654321)"##,
        b"$17\r\n\x03\x00\x00\x00\x00\x00\x80\xbe\x00\x00\xc0?O\x97!\xc5\xff\r\n",
    ),
    (
        r##"return {struct.unpack('<!H xf f i5 ', struct.pack('<!H xf f i5 ',4294967299,-0.25,1.5,-987654321))}"##,
        b"*5\r\n:3\r\n:0\r\n:1\r\n:-987654321\r\n:18\r\n",
    ),
    (
        r##"return struct.size('<!H xf f i5 ')"##,
        b":17\r\n",
    ),
    (
        r##"return struct.pack('>dsfc3i ',-7,'str',-7,'abcdef',1099511627776)"##,
        b"$23\r\n\xc0\x1c\x00\x00\x00\x00\x00\x00str\x00\xc0\xe0\x00\x00abc\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('>dsfc3i ', struct.pack('>dsfc3i ',-7,'str',-7,'abcdef',1099511627776))}"##,
        b"*6\r\n:-7\r\n$3\r\nstr\r\n:-7\r\n$3\r\nabc\r\n:0\r\n:24\r\n",
    ),
    (
        r##"return struct.size('>dsfc3i ')"##,
        b"-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: a2b94428695fa4cc49179f19dac17a08f56f06d5, on @user_script:1.\r\n",
    ),
    (
        r##"return struct.pack('!4c3 T','abcdef',123456789)"##,
        b"$12\r\nabc\x00\x15\xcd[\x07\x00\x00\x00\x00\r\n",
    ),
    (
        r##"return {struct.unpack('!4c3 T', struct.pack('!4c3 T','abcdef',123456789))}"##,
        b"*3\r\n$3\r\nabc\r\n:123456789\r\n:13\r\n",
    ),
    (
        r##"return struct.size('!4c3 T')"##,
        b":12\r\n",
    ),
    (
        r##"return struct.pack('<lh ',-1,300)"##,
        b"$10\r\n\xff\xff\xff\xff\xff\xff\xff\xff,\x01\r\n",
    ),
    (
        r##"return {struct.unpack('<lh ', struct.pack('<lh ',-1,300))}"##,
        b"*3\r\n:-1\r\n:300\r\n:11\r\n",
    ),
    (
        r##"return struct.size('<lh ')"##,
        b":10\r\n",
    ),
];

/// bit operations on awkward numbers.
pub const BIT_MIXED_CASES: &[(&str, &[u8])] = &[
    (r##"return bit.arshift('12', 64)"##, b":12\r\n"),
    (r##"return bit.band(2^53, 33)"##, b":0\r\n"),
    (r##"return bit.tohex(2^32+0.5, 1)"##, b"$1\r\n0\r\n"),
    (r##"return bit.tohex(0.5, 0)"##, b"$0\r\n\r\n"),
    (r##"return bit.lshift(-2^31, 0xdeadbeef)"##, b":0\r\n"),
    (r##"return bit.tobit(0)"##, b":0\r\n"),
    (r##"return bit.rol(-3.7, 2.5)"##, b":-13\r\n"),
    (r##"return bit.tohex(-2^31, -4)"##, b"$4\r\n0000\r\n"),
    (r##"return bit.bor(1.5, -987654321)"##, b":-987654321\r\n"),
    (r##"return bit.bxor(1.5, 0)"##, b":2\r\n"),
    (r##"return bit.tohex(0, 8)"##, b"$8\r\n00000000\r\n"),
    (r##"return bit.bxor(2.5, 2^31)"##, b":-2147483646\r\n"),
    (
        r##"return bit.lshift(0xdeadbeef, 1e15+0.5)"##,
        b":-559038737\r\n",
    ),
    (r##"return bit.bxor('12', -2.5)"##, b":-14\r\n"),
    (r##"return bit.tohex(-2^31, -8)"##, b"$8\r\n80000000\r\n"),
    (r##"return bit.bnot(2.5)"##, b":-3\r\n"),
    (r##"return bit.tohex(-3.7, 4)"##, b"$4\r\nfffc\r\n"),
    (
        r##"return bit.band(-987654321, 1e15+0.5)"##,
        b":-2080342016\r\n",
    ),
    (r##"return bit.bor(2^31, 2^31-1)"##, b":-1\r\n"),
    (r##"return bit.ror('12', 2^32)"##, b":12\r\n"),
    (r##"return bit.bnot('12')"##, b":-13\r\n"),
    (r##"return bit.bnot(0)"##, b":-1\r\n"),
    (r##"return bit.tohex(2^31-1, 9)"##, b"$8\r\n7fffffff\r\n"),
    (r##"return bit.bnot(2^31-1)"##, b":-2147483648\r\n"),
    (r##"return bit.band(2^53, 1)"##, b":0\r\n"),
    (r##"return bit.lshift(0.5, 33)"##, b":0\r\n"),
    (r##"return bit.bnot(2^31-1)"##, b":-2147483648\r\n"),
    (r##"return bit.rshift(2^53, 0.5)"##, b":0\r\n"),
    (r##"return bit.arshift(2^31, 1)"##, b":-1073741824\r\n"),
    (r##"return bit.bor(-2.5, 2^32)"##, b":-2\r\n"),
    (r##"return bit.arshift(1.5, 2^32)"##, b":2\r\n"),
    (r##"return bit.bswap(0xdeadbeef)"##, b":-272716322\r\n"),
    (r##"return bit.bswap(2^32)"##, b":0\r\n"),
    (r##"return bit.bor(2^32+0.5, 1.5)"##, b":2\r\n"),
    (r##"return bit.rshift(2^60, 2.5)"##, b":0\r\n"),
    (
        r##"return bit.bor(-987654321, 0xdeadbeef)"##,
        b":-542261265\r\n",
    ),
    (r##"return bit.tohex(1, 8)"##, b"$8\r\n00000001\r\n"),
    (r##"return bit.arshift(-3.7, 2^53)"##, b":-4\r\n"),
    (r##"return bit.bxor(1, 2^32+0.5)"##, b":1\r\n"),
    (r##"return bit.bnot(2^32)"##, b":-1\r\n"),
    (r##"return bit.bxor('0x1F', 123456789)"##, b":123456778\r\n"),
    (r##"return bit.tohex(2^32+0.5, 9)"##, b"$8\r\n00000000\r\n"),
    (r##"return bit.bnot(2^31-1)"##, b":-2147483648\r\n"),
    (r##"return bit.bnot(2^31)"##, b":2147483647\r\n"),
    (r##"return bit.bswap(2.5)"##, b":33554432\r\n"),
    (r##"return bit.tohex(2^53, -12)"##, b"$8\r\n00000000\r\n"),
    (r##"return bit.arshift(2^60, -3.7)"##, b":0\r\n"),
    (r##"return bit.bnot(1.5)"##, b":-3\r\n"),
    (r##"return bit.bswap(2.5)"##, b":33554432\r\n"),
    (r##"return bit.ror(2^32, 2.5)"##, b":0\r\n"),
    (r##"return bit.bnot(-2^60)"##, b":-1\r\n"),
    (r##"return bit.arshift(-1, -1)"##, b":-1\r\n"),
    (r##"return bit.arshift('12', 123456789)"##, b":0\r\n"),
    (r##"return bit.rshift(2^31-1, 0xdeadbeef)"##, b":65535\r\n"),
    (r##"return bit.rshift(2^60, -3.7)"##, b":0\r\n"),
    (r##"return bit.rshift(2^32, 2^32+0.5)"##, b":0\r\n"),
    (r##"return bit.tobit(2^60)"##, b":0\r\n"),
    (r##"return bit.rshift(2^32, 1e15+0.5)"##, b":0\r\n"),
    (r##"return bit.bnot(-2^60)"##, b":-1\r\n"),
    (r##"return bit.arshift(2^31-1, -3.7)"##, b":7\r\n"),
    (r##"return bit.rol(2^31-1, 64)"##, b":2147483647\r\n"),
    (r##"return bit.bswap(2^53)"##, b":0\r\n"),
    (r##"return bit.tohex(2^32, -4)"##, b"$4\r\n0000\r\n"),
    (r##"return bit.bxor(-2.5, 64)"##, b":-66\r\n"),
    (r##"return bit.ror(2^31, '12')"##, b":524288\r\n"),
    (r##"return bit.bswap('0x1F')"##, b":520093696\r\n"),
    (r##"return bit.rol(2^31, -987654321)"##, b":16384\r\n"),
    (r##"return bit.rshift('0x1F', 0)"##, b":31\r\n"),
    (r##"return bit.bswap(2^53)"##, b":0\r\n"),
    (r##"return bit.bxor(3.7, 33)"##, b":37\r\n"),
    (r##"return bit.band(2^60, 3.7)"##, b":0\r\n"),
    (r##"return bit.tobit(0.5)"##, b":0\r\n"),
    (r##"return bit.bxor(2^60, -2.5)"##, b":-2\r\n"),
    (r##"return bit.rol(2^53, 2^31-1)"##, b":0\r\n"),
    (r##"return bit.bor(123456789, -2.5)"##, b":-1\r\n"),
    (r##"return bit.bnot(0)"##, b":-1\r\n"),
    (r##"return bit.rshift(2^52, 0.5)"##, b":0\r\n"),
    (r##"return bit.arshift(1, 0xdeadbeef)"##, b":0\r\n"),
    (r##"return bit.bor(2^31, 0xdeadbeef)"##, b":-559038737\r\n"),
    (r##"return bit.rshift(2^31-1, 64)"##, b":2147483647\r\n"),
    (r##"return bit.bnot(123456789)"##, b":-123456790\r\n"),
    (r##"return bit.arshift(2^53, 1.5)"##, b":0\r\n"),
    (r##"return bit.bnot(123456789)"##, b":-123456790\r\n"),
    (r##"return bit.lshift(1.5, -987654321)"##, b":65536\r\n"),
    (r##"return bit.bswap(0)"##, b":0\r\n"),
    (
        r##"return bit.arshift(123456789, -987654321)"##,
        b":3767\r\n",
    ),
    (r##"return bit.arshift(2^32+0.5, 123456789)"##, b":0\r\n"),
    (r##"return bit.rol(3.7, 2^60)"##, b":4\r\n"),
    (r##"return bit.bswap(-2^31)"##, b":128\r\n"),
    (r##"return bit.bxor(-987654321, -987654321)"##, b":0\r\n"),
    (r##"return bit.bnot(2^60)"##, b":-1\r\n"),
    (r##"return bit.tobit(2^32)"##, b":0\r\n"),
    (r##"return bit.tohex(2^31, -12)"##, b"$8\r\n80000000\r\n"),
    (r##"return bit.tohex(1.5, -12)"##, b"$8\r\n00000002\r\n"),
    (r##"return bit.bswap(-987654321)"##, b":1335304645\r\n"),
    (r##"return bit.tohex(3.7, -8)"##, b"$8\r\n00000004\r\n"),
    (r##"return bit.tobit(-2^31)"##, b":-2147483648\r\n"),
    (r##"return bit.bswap(0xdeadbeef)"##, b":-272716322\r\n"),
    (r##"return bit.bnot(1)"##, b":-2\r\n"),
    (r##"return bit.bnot(1.5)"##, b":-3\r\n"),
    (r##"return bit.rshift(2^31, 2^60)"##, b":-2147483648\r\n"),
    (r##"return bit.ror(-2^60, 2^32+0.5)"##, b":0\r\n"),
    (r##"return bit.tohex('0x1F', 4)"##, b"$4\r\n001f\r\n"),
    (r##"return bit.tobit(2^31)"##, b":-2147483648\r\n"),
    (r##"return bit.bswap(2^32)"##, b":0\r\n"),
    (r##"return bit.band(2^53, 2^31-1)"##, b":0\r\n"),
    (r##"return bit.bxor(1, 0)"##, b":1\r\n"),
    (r##"return bit.bnot(1e15+0.5)"##, b":1530494975\r\n"),
    (r##"return bit.tohex(1e15+0.5, 8)"##, b"$8\r\na4c68000\r\n"),
    (r##"return bit.bnot(-987654321)"##, b":987654320\r\n"),
    (r##"return bit.ror(-2^31, 2^60)"##, b":-2147483648\r\n"),
    (r##"return bit.lshift(2^31, 2^53)"##, b":-2147483648\r\n"),
    (r##"return bit.bor(2^31, 64)"##, b":-2147483584\r\n"),
    (r##"return bit.bnot(123456789)"##, b":-123456790\r\n"),
    (r##"return bit.bnot(2^31)"##, b":2147483647\r\n"),
    (r##"return bit.bnot('12')"##, b":-13\r\n"),
    (r##"return bit.ror(2^32, 0xdeadbeef)"##, b":0\r\n"),
    (r##"return bit.bswap(0xdeadbeef)"##, b":-272716322\r\n"),
    (r##"return bit.bor('0x1F', 3.7)"##, b":31\r\n"),
    (r##"return bit.tobit(-1)"##, b":-1\r\n"),
    (r##"return bit.band(2^32, '0x1F')"##, b":0\r\n"),
    (r##"return bit.bor(-2^31, '12')"##, b":-2147483636\r\n"),
    (r##"return bit.bor(0.5, 3.7)"##, b":4\r\n"),
    (r##"return bit.bor('12', 1.5)"##, b":14\r\n"),
    (r##"return bit.tohex('12', -12)"##, b"$8\r\n0000000C\r\n"),
    (r##"return bit.bswap(2.5)"##, b":33554432\r\n"),
    (r##"return bit.bxor(-1, -987654321)"##, b":987654320\r\n"),
    (r##"return bit.bswap(0.5)"##, b":0\r\n"),
    (r##"return bit.bor(-3.7, 1)"##, b":-3\r\n"),
    (r##"return bit.bor('0x1F', -2^31)"##, b":-2147483617\r\n"),
    (r##"return bit.tohex(1.5, 1)"##, b"$1\r\n2\r\n"),
    (
        r##"return bit.arshift(1e15+0.5, -987654321)"##,
        b":-46707\r\n",
    ),
    (r##"return bit.arshift(2^32+0.5, 2^31-1)"##, b":0\r\n"),
    (r##"return bit.tohex(1.5, -8)"##, b"$8\r\n00000002\r\n"),
    (r##"return bit.bswap(1e15+0.5)"##, b":8439460\r\n"),
    (r##"return bit.lshift(-3.7, -1)"##, b":0\r\n"),
    (r##"return bit.rshift(2^31, -2^60)"##, b":-2147483648\r\n"),
    (r##"return bit.tohex(3.7, 0)"##, b"$0\r\n\r\n"),
    (r##"return bit.rol(2.5, 1.5)"##, b":8\r\n"),
    (r##"return bit.arshift(-1, 123456789)"##, b":-1\r\n"),
    (r##"return bit.bor(0.5, -2^60)"##, b":0\r\n"),
    (r##"return bit.lshift(-2^31, 2^53)"##, b":-2147483648\r\n"),
    (r##"return bit.arshift(0.5, -1)"##, b":0\r\n"),
    (r##"return bit.rol(1, 1.5)"##, b":4\r\n"),
    (r##"return bit.tohex(2^52, 8)"##, b"$8\r\n00000000\r\n"),
    (r##"return bit.bor(1e15+0.5, 2^60)"##, b":-1530494976\r\n"),
    (r##"return bit.bxor('12', -987654321)"##, b":-987654333\r\n"),
    (r##"return bit.lshift(2^31, 2^32)"##, b":-2147483648\r\n"),
    (r##"return bit.tohex('12', 0)"##, b"$0\r\n\r\n"),
    (r##"return bit.rol(1.5, '0x1F')"##, b":1\r\n"),
];
