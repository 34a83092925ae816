/** Every cti_originate of the seed (003), as written there (after `cti_originate `); the seed's placeholder `linegroup/线路组/号码` (group/number) is filled in. */
export const SEED = {
  example2:
    "{origination_caller_id_number=clicktocall,origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav'}user/121 &bridge({origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}linegroup/default/5555)",
  example2inline:
    '{origination_caller_id_number=clicktocall}user/121 export:record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav,record_session:${record_filename},bridge:{origination_caller_id_number=121}linegroup/default/1380000000 inline',
  example3:
    "{origination_nested_vars=true,instant_ringback=true,transfer_ringback=声音文件路径,origination_caller_id_number=9999}user/1000 &bridge({origination_caller_id_number=1000,execute_on_answer='record_session /fs/recording/20220624144610983/100000102896000118380317308.wav',ignore_early_media=true}linegroup/default/138000000)",
  syntax: '{var=val}usr/1000 &bridge({var=val}sofia/external/13800000000@192.0.2.9)',
  robotUser: "{ignore_early_media=true,origination_caller_id_number=1390000000,话术变量=话术变量的值}user/1000 'cti_robot:话术,set:park_timeout=3600,park' inline",
  robotLinegroup: "{ignore_early_media=true,origination_caller_id_number=1390000000,话术变量=话术变量的值}linegroup/out/13800000000 'cti_robot:话术,set:park_timeout=3600,park' inline",
  playLocal: '{ignore_early_media=true,origination_caller_id_number=1390000000}sofia/external/1380000000@vosIP &playback(声音文件路径)',
  playHttp:
    "{ignore_early_media=true,origination_caller_id_number=1390000000}sofia/external/abc@27.156.125.43:6066 'playback:file_string://http://ip/uploads/audio/20200526/getaudio493c5/202005261100135ecc863db4775.wav' inline",
  playMany: '{ignore_early_media=true,origination_caller_id_number=1390000000}sofia/external/1380000000@vosIP &playback(file_string://文件1.wav!文件2.wav)',
  tts: "{ignore_early_media=true,origination_caller_id_number=1390000000}user/123 'playback:file_string://http://127.0.0.1:9989/tts?text=这个测试是放音文字转语音测试' inline",
  echo: 'user/1000 &echo()',
};
