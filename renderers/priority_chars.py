"""The characters nearly every document prints, outside ASCII (sorted by code point): those of the
clause sources, profile defaults and HTML templates in templates/, of the texts contracts/
composes, and the commonest characters of customers' names and addresses
(renderers.fonts.clause_characters()).

renderers/fonts.py puts their glyphs first in the cached font subset, so that WeasyPrint, which
embeds a face with a slot for every glyph id up to the highest one used, embeds about a
thousand slots instead of 8,145. A character missing here still prints; it only makes the PDFs
that use it a little larger. Regenerate after larger changes to the clause sources with
`python -m renderers.fonts --priority-chars > renderers/priority_chars.py`; a change rebuilds
the cached subsets once per machine.
"""

PRIORITY_CHARS = (
    "¥·×Σ–—“”…→≤　、。〇《》一丁七万三上下不与专且业丛东丢两严丧个中丰丹为主丽举久义之乔乙九也习乡书买了予争事二于"
    "云互五交产享京亮人亿仅仇今仍从仔他付仟代以仲件价任份企伍休优会伟传估但位低住体何佘余作佟佰佳使例供依侮侯侵便促俊保俞信修"
    "倍借倩倪债值假偏做停健偿储催像允元充先克免党入全八公六兰共关其具典冀内冉册再冒写军农冯冲决况冷准凌减几凤凭凯出函刁分切划"
    "列刘则刚创删判利别到制券前剩副割力办加务动助勇包化北区医匿十升华协卓单卖南博卜卞卢卫印危即原厦去县叁参及双反发取受变口古"
    "另只可台史叶号司各合吉吊同名后向吕否含启吴告员周命和咨品哈响唐售唯商善喻嘉器四回因团园围固国在地圳场址均型培基填境增壹处"
    "备复夏外多够大天失头奉好如妥始姓委姚姜姬威娄娜娟婷媒子孔字存孙孟季宁宇守安宋完宏宗定宜宝实审客宣室宫害家容宿寄密寇对导封"
    "将尊小少尔尚尤就尹尾局层居屈届展属履山岑岗岛岳峰崇崔川州工左巩巫差己已巷币市布帅帆师希带席常平年并广庄序应底店庞废度座庭"
    "康廖延建开异弄式引张弥强当录形彭影往征径待律徐得循心必志忠快态思怡急性总恢息悉情惯想意感愿慧成或戚截戴户房所手才托扣执扩"
    "批找承技把投抗折护报披担拆拒择括拾持指按捌损换据授掌排接控推措提插握搭撤擅操支收改放政故效敏救敖教数整文斌料断新方施旅无"
    "日旦旧旨早旭时昆昌明易映春是显晋晏晓晚晨普景智暂曲更曹曾替最月有服朝期未末本术朱机权李材村杜束条来杨杭杰松板构析林果柏某"
    "柒染查柯柳柴标栋栏树校样核根格栾桂案桑档梁梅梓械检楼概樊模欠次欣欧欺款止正此武段殷毁母每毕毛民水求汇汉江池汤汪汽沈沙沟没"
    "沪河泄法波注洁洋津活洽流测济浙浦浩海涂消涉涛涵淀深清渝渠温港渲游湖湘湾源滕满滨漏潘澳点焦然照熊熟燕版牌牛牟物特状独率玉王"
    "玖环现玲珍班理琳琴琼甄甘生用田由甲申电画界留略番疑登白百的皖益监盖盛目直相省眉真着督睿瞿知短石码确磊示礼社祁祝票福禺秀私"
    "秋种科秘秦称移程税稳穆究空窗窦立章童端笔符第等筑答策筹签简算管箱篡簿米类粗粤系累纠红约级纪纳纸纺组细织终经结给络绝统继续"
    "维缀编缝缪缴网罗置署翁翟翠考者而耿聂职联肆肖股肥育胁胡能臧自至致舒般良艳艾节芦花芳苏苑苗苟英范荐荣药莉莫获菊萍营萱落葛董"
    "蒋蒙蒲蓝蔡蔽蕾薛藏虚虞虹行街补表袁被裁裂装裴褚西要覃覆见观规视览角解触言詹警计订认训议讯记讲许论讼设访证评识诈诉译试诗诚"
    "话询该详语误说请诺读调谢谭谷象豫貌负财责贤败账质购贰贵贷贸费贺贾资赋赔赣赵起超越足跟路踪身车轩转软轻载较辉输辖辛辱边辽达"
    "过运近返还这进违连迟述追退送适选递途通速造逢逾遇道遭遮遵避邀邓邝邢邬邮邱邵邹郎郑郝部郭都鄂配酒醒采释里重量金鉴鑫钟钱银链"
    "销错键镇长门闫问间闵闽阅阮防阳陀附际陆陈降限陕院除险陶隋随隐障难集雨雪零雷需霍霖霞露青静非面靳韦韩页项顺须顾颁预频颖题颜"
    "额飞食餐饮饰饶首香马骆验骑高魏鲁鲍鹏麦麻黄黎黑默齐龄龙龚（），－：；？＿ａｄｉｌｎｕｖ￥"
)
